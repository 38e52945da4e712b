"""``canteen-hub supply``: stock alerts, the traceability report and purchase suggestions of
a site, as JSON lines or CSV, from the hub's database (CANTEEN_* settings)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlmodel import Session, select

from hub.errors import ServiceError
from hub.models.sites import Site


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="canteen-hub supply", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    alerts = sub.add_parser("alerts", help="low-stock and expiry alerts of a site")
    alerts.add_argument("--site", required=True, help="site code")
    trace = sub.add_parser("trace", help="which lots went into which day's dishes (CSV)")
    trace.add_argument("--site", required=True)
    trace.add_argument("--start", type=date.fromisoformat, required=True)
    trace.add_argument("--end", type=date.fromisoformat, required=True)
    suggest = sub.add_parser("suggest", help="purchase suggestions by supplier (JSON)")
    suggest.add_argument("--site", required=True)
    suggest.add_argument("--start", type=date.fromisoformat, required=True)
    suggest.add_argument("--days", type=int, default=3)
    return p


def _run(args: argparse.Namespace, session: Session) -> None:
    from hub.supply import inventory, purchasing, stock

    site = session.exec(select(Site).where(Site.code == args.site)).first()
    if site is None or site.id is None:
        raise ServiceError(f"no site {args.site!r}")
    conn = session.connection()
    if args.command == "alerts":
        for alert in stock.alerts(conn, site.id, inventory.site_today(site)):
            print(json.dumps(asdict(alert), default=str, ensure_ascii=False))
    elif args.command == "trace":
        if args.end < args.start:
            raise ServiceError("--end is before --start")
        rows = stock.traceability(conn, site.id, args.start, args.end)
        out = csv.writer(sys.stdout)
        fields: list[str] = list(asdict(rows[0])) if rows else ["business_date"]
        out.writerow(fields)
        for row in rows:
            data: dict[str, Any] = asdict(row)
            out.writerow([data[f] for f in fields])
    else:
        groups = purchasing.suggestions(session, site_id=site.id, start=args.start,
                                        days=args.days)
        print(json.dumps([asdict(g) for g in groups], default=str, ensure_ascii=False))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; 0, or 2 with the reason on stderr."""
    args = _parser().parse_args(argv)
    from hub.db import make_engine
    from hub.settings import Settings

    engine = make_engine(Settings())
    try:
        with Session(engine) as session:
            _run(args, session)
    except ServiceError as err:
        print(f"canteen-hub supply: {err}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0
