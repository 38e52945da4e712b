"""`canteen-hub analytics rebuild-rollups`: recompute the sales rollups from the orders.

Ingest keeps the rollups (``hub.analytics.rollups``) as orders arrive; this replaces them,
in one transaction, with what the stored orders and the ledger's refunds say: once after
upgrading a hub that already had orders, or whenever someone doubts them. Safe while the
hub runs (a batch ingested meanwhile waits for, or is seen by, the rebuild's transaction).

Exit status: 0 with a summary line; 3 when the schema is not migrated.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from hub.settings import Settings

EXIT_USAGE = 2
EXIT_REFUSED = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="canteen-hub analytics",
                                     description="analytics maintenance")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("rebuild-rollups",
                   help="recompute the dashboard's sales rollups from the stored orders")
    return parser


def rebuild_rollups(settings: Settings) -> int:
    """Rebuild both rollups on the configured database; print what was written."""
    from hub.analytics.rollups import rebuild
    from hub.db import make_engine
    from hub.migrate import NOT_MIGRATED, is_migrated

    engine = make_engine(settings)
    try:
        if not is_migrated(engine, schema=settings.db_schema):
            print(f"refused: {NOT_MIGRATED}", file=sys.stderr)
            return EXIT_REFUSED
        started = time.perf_counter()
        with engine.begin() as conn:
            done = rebuild(conn)
    finally:
        engine.dispose()
    print(f"rollups rebuilt from {done.orders} orders: {done.dish_rows} dish rows, "
          f"{done.slot_rows} slot rows in {time.perf_counter() - started:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None, *, settings: Settings | None = None) -> int:
    """Entry point of `canteen-hub analytics ...` (settings from the environment)."""
    try:
        args = _parser().parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command == "rebuild-rollups":
        return rebuild_rollups(settings or Settings())
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
