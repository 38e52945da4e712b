"""A deterministic synthetic canteen: daily portions per dish, site and meal period.

Used by the tests, the benchmark and `docs/supply.md`, so that the forecaster is measured on
data with what a real canteen has: office and hospital canteens (offices empty at weekends
and on public holidays, hospitals not), the swapped workdays of the Chinese calendar (a
Sunday worked is a weekday for the canteen), the last day before a long holiday quieter,
menu rotation (most dishes are served on a 14-day plan, some every day), pre-bookings
(报餐: a share of the diners book ahead, known before the day), a slow drift in popularity
and over-dispersed counts. Same arguments, same numbers: numpy's seeded generator only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from hub.supply.holidays import HolidayCalendar, default_calendar

OFFICE_WEEK = np.array([1.0, 1.05, 1.05, 1.0, 0.85, 0.18, 0.12])
HOSPITAL_WEEK = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.8, 0.75])
PERIOD_SHARE = (0.55, 1.0, 0.45)  # breakfast, lunch, dinner
ROTATION_DAYS = 14


@dataclass
class SyntheticCanteen:
    """values / on_menu / bookings are N x T; keys[i] = (dish, site, meal period) of row i."""

    days: list[date]
    keys: list[tuple[int, int, int]]
    values: np.ndarray
    on_menu: np.ndarray
    bookings: np.ndarray

    def series_id(self, i: int) -> str:
        dish, site, period = self.keys[i]
        return f"d{dish}-s{site}-p{period}"

    def write_csv(self, path: Path | str, *, last_day: date | None = None) -> None:
        """`series_id,date,value` rows (the CLI's format) up to last_day; off-menu days too
        (a 0 is a day the dish sold nothing)."""
        with open(path, "w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["series_id", "date", "value"])
            for i in range(len(self.keys)):
                sid = self.series_id(i)
                for j, day in enumerate(self.days):
                    if last_day is not None and day > last_day:
                        break
                    out.writerow([sid, day.isoformat(), int(self.values[i, j])])


def canteen_demand(*, dishes: int = 20, sites: int = 2, periods: int = 3, days: int = 182,
                   end: date = date(2026, 10, 20), seed: int = 0,
                   calendar: HolidayCalendar | None = None) -> SyntheticCanteen:
    """`dishes x sites x periods` series of `days` days ending on `end` (inclusive)."""
    calendar = calendar or default_calendar()
    rng = np.random.default_rng(seed)
    first = end - timedelta(days=days - 1)
    grid = [first + timedelta(days=i) for i in range(days)]
    cal = calendar.features(grid)
    weekday = cal["weekday"].astype(int)
    holiday = cal["holiday"] > 0
    swap = cal["swap_workday"] > 0
    eve = (cal["off_after"] > 0) & (cal["off"] == 0)

    hospital = rng.random(sites) < 0.3
    site_size = rng.lognormal(0.0, 0.35, sites)
    booking_rate = rng.uniform(0.1, 0.35, sites)
    popularity = rng.lognormal(1.6, 0.8, dishes)
    staple = rng.random(dishes) < 0.35
    keys: list[tuple[int, int, int]] = []
    n = dishes * sites * periods
    values = np.zeros((n, days))
    on_menu = np.ones((n, days))
    bookings = np.zeros((n, days))
    day_no = np.array([(d - date(2020, 1, 6)).days for d in grid])
    row = 0
    for s in range(sites):
        week = HOSPITAL_WEEK if hospital[s] else OFFICE_WEEK
        # A worked weekend day is a weekday for the canteen; a holiday is (nearly) empty.
        profile = np.where(swap, week[0] * 0.95, week[weekday])
        profile = np.where(holiday, 0.6 if hospital[s] else 0.05, profile)
        profile = np.where(eve & ~hospital[s], profile * 0.85, profile)
        for d in range(dishes):
            plan = np.ones(ROTATION_DAYS, dtype=bool)
            if not staple[d]:
                plan = np.zeros(ROTATION_DAYS, dtype=bool)
                plan[rng.choice(ROTATION_DAYS, int(rng.integers(5, 10)), replace=False)] = True
            shift = int(rng.integers(0, ROTATION_DAYS))
            menu = plan[(day_no + shift) % ROTATION_DAYS]
            for p in range(periods):
                share = PERIOD_SHARE[p % len(PERIOD_SHARE)] * rng.lognormal(0.0, 0.3)
                drift = np.exp(np.cumsum(rng.normal(0.0, 0.01, days)))
                mean = popularity[d] * site_size[s] * share * profile * drift
                # Gamma-Poisson: counts more spread than Poisson, as real sales are.
                lam = mean * rng.gamma(10.0, 0.1, days)
                y = np.where(menu, rng.poisson(lam), 0)
                values[row] = y
                on_menu[row] = menu
                bookings[row] = rng.binomial(y.astype(int), booking_rate[s])
                keys.append((d + 1, s + 1, p + 1))
                row += 1
    return SyntheticCanteen(grid, keys, values, on_menu, bookings)
