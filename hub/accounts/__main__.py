"""`python -m hub.accounts <job> [--at ISO-8601]`: the scheduled money jobs, for cron or timers.

Jobs: grant-subsidies, expire-subsidies, expire-points, recalculate-tiers. Each is
idempotent for its period, so a timer that fires twice does no harm.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from hub.accounts.jobs import JOBS, run_job
from hub.db import make_engine
from hub.db_types import utcnow
from hub.migrate import SchemaTooNewError, check_not_newer, current_revision, head_revision
from hub.settings import Settings


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("--at needs a time zone, e.g. 2025-03-03T00:05:00+08:00")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run one job against the configured database."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m hub.accounts", description=__doc__)
    parser.add_argument("job", choices=JOBS)
    parser.add_argument("--at", type=_aware, default=None, help="run as of this time (default now)")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as err:
        print(f"config error: {err}", file=sys.stderr)
        return 2
    engine = make_engine(settings)
    try:
        check_not_newer(engine, schema=settings.db_schema)
        if current_revision(engine, schema=settings.db_schema) != head_revision():
            print("database not migrated: run `canteen-hub migrate` first", file=sys.stderr)
            return 3
        with Session(engine) as session:
            print(f"{args.job}: {run_job(session, job=args.job, at=args.at or utcnow())}")
    except SchemaTooNewError as err:
        print(str(err), file=sys.stderr)
        return 3
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
