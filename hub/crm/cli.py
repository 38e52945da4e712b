"""`canteen-hub crm ...`: member scores offline, and the tag/score refresh jobs on the hub.

    canteen-hub crm score --transactions FILE.csv --as-of YYYY-MM-DD
                          [--horizon-days N] [--out FILE.csv]
    canteen-hub crm refresh [--at ISO-TIME]     (needs the hub's settings and database)

``score`` reads ``member_id,date,amount`` rows (a header naming those columns, any order,
extra columns ignored; any member id strings; ``date`` as YYYY-MM-DD, or an ISO time whose
date part is taken; rows after --as-of ignored) and writes
``member_id,recency_days,frequency,monetary,r,f,m,churn_probability`` for every member
with a row on or before --as-of, with the same scoring code as the hub (hub.crm.scores).
A bad file is refused with its line and reason and nothing is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from hub.crm import scores

COLUMNS = ("member_id", "date", "amount")
OUT_COLUMNS = ("member_id", "recency_days", "frequency", "monetary", "r", "f", "m",
               "churn_probability")
MAX_HORIZON_DAYS = 3660
MAX_ID_CHARS = 200


class BadFile(ValueError):
    """The transactions file refused: where and why."""


def _day(text: str) -> date:
    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value).date()
    except ValueError as err:
        raise ValueError(f"date {text!r} is not YYYY-MM-DD") from err


def _amount(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError as err:
        raise ValueError(f"amount {text!r} is not a number") from err
    if not math.isfinite(value):
        raise ValueError(f"amount {text!r} is not a finite number")
    return value


def read_transactions(stream: TextIO, name: str, as_of: date) -> list[tuple[str, int, float]]:
    """(member id, day number, amount) of every row on or before ``as_of``; BadFile else."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise BadFile(f"{name}:1: empty file (expected a header {','.join(COLUMNS)})") from None
    except csv.Error as err:
        raise BadFile(f"{name}:1: {err}") from err
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise BadFile(f"{name}:1: header lacks {', '.join(missing)} "
                      f"(expected {','.join(COLUMNS)})")
    at = {c: names.index(c) for c in COLUMNS}
    width = max(at.values()) + 1
    cutoff = as_of.toordinal()
    rows: list[tuple[str, int, float]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue  # blank lines are harmless
            if len(row) < width:
                raise BadFile(f"{name}:{line}: {len(row)} fields, expected at least {width}")
            member = row[at["member_id"]].strip()
            if not member:
                raise BadFile(f"{name}:{line}: empty member_id")
            if len(member) > MAX_ID_CHARS:
                raise BadFile(f"{name}:{line}: member_id longer than {MAX_ID_CHARS} characters")
            try:
                day = _day(row[at["date"]]).toordinal()
                amount = _amount(row[at["amount"]])
            except ValueError as err:
                raise BadFile(f"{name}:{line}: {err}") from err
            if day <= cutoff:
                rows.append((member, day, amount))
    except csv.Error as err:
        raise BadFile(f"{name}:{reader.line_num}: {err}") from err
    except UnicodeDecodeError as err:
        raise BadFile(f"{name}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    return rows


def format_scores(result: scores.Scores) -> str:
    """The output CSV text, members sorted by id."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(OUT_COLUMNS)
    order = sorted(range(len(result.keys)), key=lambda i: result.keys[i])
    for i in order:
        writer.writerow([
            result.keys[i], int(result.recency_days[i]), int(result.frequency[i]),
            f"{result.monetary[i]:.2f}", int(result.r[i]), int(result.f[i]), int(result.m[i]),
            f"{result.churn[i]:.6f}",
        ])
    return buf.getvalue()


def score_file(path: Path, as_of: date, horizon_days: int) -> scores.Scores:
    """Read and score a transactions file (BadFile when it is refused)."""
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            rows = read_transactions(stream, str(path), as_of)
    except UnicodeDecodeError as err:
        raise BadFile(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    except OSError as err:
        raise BadFile(f"{path}: {err.strerror or err}") from err
    visits = scores.visits_from_rows(rows, as_of=as_of, horizon_days=horizon_days)
    return scores.score(visits, as_of, horizon_days=horizon_days)


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never half a file."""
    folder = path.resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=".crm-score-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _horizon(text: str) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from err
    if not 1 <= value <= MAX_HORIZON_DAYS:
        raise argparse.ArgumentTypeError(f"must be 1-{MAX_HORIZON_DAYS} days")
    return value


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DD") from err


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="canteen-hub crm",
                                     description="CRM scores, tags and segments.")
    sub = parser.add_subparsers(dest="command", required=True)
    sc = sub.add_parser("score", help="RFM and churn probability from a transactions CSV "
                                      "(offline, no database)")
    sc.add_argument("--transactions", required=True, type=Path,
                    help="CSV with member_id,date,amount rows")
    sc.add_argument("--as-of", required=True, type=_as_of, help="score date, YYYY-MM-DD")
    sc.add_argument("--horizon-days", type=_horizon, default=scores.DEFAULT_HORIZON_DAYS,
                    help="churn = P(no visit in the next N days); default 30")
    sc.add_argument("--out", type=Path, help="output CSV (default: standard output)")
    rf = sub.add_parser("refresh", help="full refresh of tags and scores on the hub database")
    rf.add_argument("--at", help="evaluation time, ISO 8601 with a zone (default: now)")
    dh = sub.add_parser("demo-history", help="the demo's finished campaign and CRM personas (a "
                                             "history that makes every shipped rule tag "
                                             "someone), then a refresh")
    dh.add_argument("--site", required=True, help="site code the personas eat at")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a crm subcommand; 0 on success, 2 for a bad file or bad arguments."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "refresh":
        return _refresh(args)
    if args.command == "demo-history":
        return _demo_history(args.site)
    try:
        result = score_file(args.transactions, args.as_of, args.horizon_days)
    except BadFile as err:
        print(f"canteen-hub crm score: refused: {err}", file=sys.stderr)
        return 2
    text = format_scores(result)
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            _write_atomically(args.out, text)
        except OSError as err:
            print(f"canteen-hub crm score: cannot write {args.out}: {err}", file=sys.stderr)
            return 2
    print(f"scored {len(result.keys)} members as of {args.as_of} "
          f"(churn by {result.method}, horizon {args.horizon_days} days)", file=sys.stderr)
    return 0


def _refresh(args: Any) -> int:
    from sqlmodel import Session

    from hub.crm.jobs import full_refresh
    from hub.db import make_engine
    from hub.settings import Settings

    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            print(f"--at {args.at!r} is not an ISO 8601 time", file=sys.stderr)
            return 2
        if at.tzinfo is None:
            print("--at needs a zone (e.g. 2026-03-01T00:00+08:00)", file=sys.stderr)
            return 2
    engine = make_engine(Settings())
    with Session(engine) as session:
        report = full_refresh(session, at=at)
    print(report.summary())
    return 0


def _demo_history(site: str) -> int:
    from sqlmodel import Session

    from hub.crm.demo_campaign import CODE, seed_demo_campaign
    from hub.crm.demo_history import seed_crm_personas
    from hub.crm.jobs import full_refresh
    from hub.db import make_engine
    from hub.settings import Settings

    engine = make_engine(Settings())
    try:
        # The campaign first: its segment is drawn from the general history, and the
        # personas' rule-shaping histories stay out of it.
        in_window = seed_demo_campaign(engine, site)
        written = seed_crm_personas(engine, site)
    except LookupError as err:
        print(f"canteen-hub crm demo-history: refused: {err}", file=sys.stderr)
        return 2
    print(f"site {site}: campaign {CODE} launched and played out, {in_window} orders in its "
          "window written" if in_window else f"site {site}: campaign {CODE} is there already")
    print(f"site {site}: {written} orders of CRM personas written" if written
          else f"site {site}: the CRM personas are there already")
    with Session(engine) as session:
        print(full_refresh(session).summary())
    return 0
