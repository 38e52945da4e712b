"""`canteen-hub forecast evaluate --series FILE.csv --horizon H [--season S]`, offline.

Reads `series_id,date,value` rows (any ids, any number of series; no database, no settings),
holds out the last H points of every series, forecasts them with the same code the hub uses
(`hub.supply.forecast_model`) and with seasonal naive, and prints one JSON object:

    {"model": {"wape": ..., "mase": ...}, "seasonal_naive": {"wape": ..., "mase": ...}}

WAPE = Σ|error| / Σ|actual| over the held-out points of every series. MASE = the mean over
series of (mean |error| of its held-out points / mean |y[t] - y[t-S]| over its history), the
in-sample seasonal-naive error (lag 1 when the history is shorter than a season; a series whose
scale is 0, e.g. all zeros, has no MASE and is left out of that mean only). A value that cannot
be computed (every actual 0) is null.

Input rules: a header line `series_id,date,value` (any column order; without one the columns are
taken in that order), dates YYYY-MM-DD, values finite numbers. A bad row (wrong number of
fields, empty id, bad date, bad or non-finite value, a second value for the same series and
date) is refused on stderr with its line number and reason, and the rest is evaluated. Gaps
(missing days of a daily series) stay unknown: they are not zeros, they are left out of every
mean, and seasonal naive goes back whole seasons past them. A series with H points or fewer
has no history to forecast from: it is reported on stderr and left out. When the points are
not daily (the usual step between dates is not one day), each point is one step and no
holiday calendar is used.

Exit status: 0 with the JSON; 2 for bad arguments, an unreadable file or no series to evaluate.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

import numpy as np

from hub.supply.forecast_model import (
    ForecastParams,
    Panel,
    daily_grid,
    forecast,
    mase,
    wape,
)

EXIT_USAGE = 2
COLUMNS = ("series_id", "date", "value")
MAX_DAILY_SPAN = 40_000  # days; a wider daily grid (centuries) is treated as positional


@dataclass
class Loaded:
    series: dict[str, dict[date, float]]
    refused: list[str]


def read_series(handle: TextIO) -> Loaded:
    """Rows by series and date; bad rows are listed (line and reason), never half-taken."""
    series: dict[str, dict[date, float]] = {}
    refused: list[str] = []
    order = {name: i for i, name in enumerate(COLUMNS)}
    fields = len(COLUMNS)
    for line_no, row in enumerate(csv.reader(handle), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        if line_no == 1 and "series_id" in cells:
            if not set(COLUMNS) <= set(cells):
                raise ValueError(f"line 1: the header must name the columns {','.join(COLUMNS)}")
            order = {name: cells.index(name) for name in COLUMNS}
            fields = len(cells)
            continue
        if len(cells) != fields:
            refused.append(f"line {line_no}: expected {fields} fields, got {len(cells)}")
            continue
        sid, day_text, value_text = (cells[order[name]] for name in COLUMNS)
        if not sid:
            refused.append(f"line {line_no}: series_id: empty")
            continue
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            refused.append(f"line {line_no}: date: {day_text!r} is not YYYY-MM-DD")
            continue
        try:
            value = float(value_text)
        except ValueError:
            refused.append(f"line {line_no}: value: {value_text!r} is not a number")
            continue
        if not math.isfinite(value):
            refused.append(f"line {line_no}: value: {value_text!r} is not finite")
            continue
        points = series.setdefault(sid, {})
        if day in points:
            refused.append(f"line {line_no}: date: a second value for {sid} on {day}")
            continue
        points[day] = value
    return Loaded(series, refused)


@dataclass
class Evaluation:
    result: dict[str, dict[str, float | None]]
    chosen: str
    series: int
    points: int
    skipped: list[str]


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def evaluate(series: dict[str, dict[date, float]], horizon: int, season: int,
             params: ForecastParams | None = None) -> Evaluation:
    """Hold out the last `horizon` points of every series; score the model and the baseline."""
    params = params or ForecastParams(season=season)
    params.season = season
    kept = {sid: sorted(points.items()) for sid, points in series.items()
            if len(points) > horizon}
    skipped = sorted(set(series) - set(kept))
    if not kept:
        raise ValueError(f"no series has more than {horizon} points to hold out")
    ids = sorted(kept)
    steps = [(b[0] - a[0]).days for sid in ids
             for a, b in zip(kept[sid], kept[sid][1:], strict=False)]
    first = min(kept[sid][0][0] for sid in ids)
    end = max(kept[sid][-1][0] for sid in ids)
    daily = bool(steps) and float(np.median(steps)) == 1.0 and (end - first).days < MAX_DAILY_SPAN
    n = len(ids)
    if daily:
        days = daily_grid(first, end)
        width = len(days)
    else:
        days = None
        width = max(len(kept[sid]) for sid in ids)
    values = np.full((n, width), np.nan)
    last = np.full(n, -1)
    rows_l: list[int] = []
    cols_l: list[int] = []
    for i, sid in enumerate(ids):
        points = kept[sid]
        if daily:
            cols = np.array([(day - first).days for day, _ in points])
        else:
            cols = np.arange(width - len(points), width)
        values[i, cols] = [value for _, value in points]
        last[i] = cols[-horizon - 1]
        rows_l.extend([i] * horizon)
        cols_l.extend(cols[-horizon:].tolist())
    rows = np.array(rows_l, dtype=int)
    target = np.array(cols_l, dtype=int)
    panel = Panel(values, last, days)
    result = forecast(panel, rows, target, params=params)
    actual = values[rows, target]
    model = result.model
    scores = {
        "model": {"wape": _clean(wape(actual, model)),
                  "mase": _clean(mase(values, last, rows, target, model, season))},
        "seasonal_naive": {
            "wape": _clean(wape(actual, result.seasonal_naive)),
            "mase": _clean(mase(values, last, rows, target, result.seasonal_naive, season)),
        },
    }
    return Evaluation(scores, result.chosen, n, int(rows.size), skipped)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="canteen-hub forecast",
                                     description="demand forecasts (evaluate works offline)")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="hold out the last H points of each series and score")
    ev.add_argument("--series", required=True, type=Path, help="CSV: series_id,date,value")
    ev.add_argument("--horizon", required=True, type=int, help="points held out per series")
    ev.add_argument("--season", type=int, default=7, help="season length in points (7)")
    run = sub.add_parser("run", help="the nightly job: forecast every active site and store it")
    run.add_argument("--start", type=date.fromisoformat, default=None,
                     help="first day (YYYY-MM-DD; default tomorrow, UTC)")
    run.add_argument("--days", type=int, default=7, help="days to forecast, 1-14 (7)")
    return parser


def _run_job(start: date | None, days: int) -> int:
    """Forecast every active site from the hub's database (settings from the environment)."""
    from datetime import timedelta

    from sqlmodel import Session

    from hub.db import make_engine
    from hub.db_types import utcnow
    from hub.errors import ServiceError
    from hub.settings import Settings
    from hub.supply.forecast import run_all_sites

    if not 1 <= days <= 14:
        print("--days: a whole number from 1 to 14", file=sys.stderr)
        return EXIT_USAGE
    first = start or utcnow().date() + timedelta(days=1)
    engine = make_engine(Settings())
    try:
        with Session(engine) as session:
            runs = run_all_sites(session, start=first, days=days)
            session.commit()
            lines = [f"site {r.site_id}: {r.series} series, {first} + {days} days, "
                     f"kept {r.chosen}" for r in runs]
    except ServiceError as exc:
        print(f"{exc.field or 'forecast'}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    for line in lines:
        print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command == "run":
        return _run_job(args.start, args.days)
    if args.horizon < 1 or args.horizon > 366:
        print("--horizon: a whole number from 1 to 366", file=sys.stderr)
        return EXIT_USAGE
    if args.season < 1 or args.season > 366:
        print("--season: a whole number from 1 to 366", file=sys.stderr)
        return EXIT_USAGE
    try:
        with open(args.series, encoding="utf-8-sig", newline="") as handle:
            loaded = read_series(handle)
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        print(f"--series: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for line in loaded.refused:
        print(f"refused {line}", file=sys.stderr)
    try:
        ev = evaluate(loaded.series, args.horizon, args.season)
    except ValueError as exc:
        print(f"--series: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for sid in ev.skipped:
        print(f"skipped series {sid!r}: {args.horizon} points or fewer, no history left",
              file=sys.stderr)
    print(f"{ev.series} series, {ev.points} held-out points, model candidate: {ev.chosen}",
          file=sys.stderr)
    print(json.dumps(ev.result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
