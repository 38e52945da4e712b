"""Forecast 500 dishes x 20 sites x 3 meal periods (30,000 series) 14 days ahead, against
seasonal naive measured in the same run: `.venv/bin/python bench/supply_forecast.py`.

The synthetic canteen (hub.supply.synthetic) gives 120 days of history and the 14 days held
out; the model sees the menu plan and the pre-bookings as the hub gives them. Prints the
time of each step and the WAPE / MASE of both. Goal: the forecast in under a minute.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import numpy as np

from hub.supply.forecast_model import ForecastParams, Panel, forecast, mase, wape
from hub.supply.synthetic import canteen_demand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dishes", type=int, default=500)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--periods", type=int, default=3)
    parser.add_argument("--days", type=int, default=134, help="history + horizon")
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--end", default="2026-10-20", help="last day held out")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-bookings", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    canteen = canteen_demand(dishes=args.dishes, sites=args.sites, periods=args.periods,
                             days=args.days, end=date.fromisoformat(args.end), seed=11)
    t1 = time.perf_counter()
    n, width = canteen.values.shape
    h = args.horizon
    last = np.full(n, width - h - 1)
    rows = np.repeat(np.arange(n), h)
    cols = np.tile(np.arange(width - h, width), n)
    bookings = None if args.no_bookings else canteen.bookings
    panel = Panel(canteen.values, last, canteen.days, canteen.on_menu, bookings)
    result = forecast(panel, rows, cols, params=ForecastParams(threads=args.threads))
    t2 = time.perf_counter()
    actual = canteen.values[rows, cols]
    print(f"series: {n:,} ({args.dishes} dishes x {args.sites} sites x {args.periods} periods), "
          f"history {width - h} days, horizon {h} days, threads {args.threads}")
    print(f"generate data: {t1 - t0:.1f} s")
    print(f"forecast (tail check + fit + predict): {t2 - t1:.1f} s  "
          f"[goal < 60 s: {'met' if t2 - t1 < 60 else 'NOT met'}]  chosen: {result.chosen}")
    for name, pred in (("model", result.model), ("seasonal_naive", result.seasonal_naive)):
        print(f"{name:15s} WAPE {wape(actual, pred):.3f}  "
              f"MASE {mase(canteen.values, last, rows, cols, pred, 7):.3f}")
    gain = 1 - wape(actual, result.model) / wape(actual, result.seasonal_naive)
    print(f"WAPE lower than seasonal naive by {gain:.1%}")


if __name__ == "__main__":
    main()
