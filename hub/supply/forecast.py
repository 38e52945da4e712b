"""Demand forecasts in the hub: from ingested order lines to stored forecasts per dish, meal
period and day, and the service the purchasing side calls (`forecast_portions`).

History: the portions of each dish sold at the site in each meal period per local day (the
site's time zone), from the order lines the ingest worker stored. From the site's first day
with orders on, a day without a sale of a dish is a 0 (the canteen was open or closed, and
sold none); before a dish's first sale its series is unknown (a new dish is not a run of
zeros). Menu rotation: a dish off the site's active menu for that meal period is forecast 0;
where a meal period has no menu at all, every dish is taken as served. Pre-bookings (报餐) of a
dish are a feature of the model, and a forecast is never below the portions already booked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlmodel import Session, col, select

from hub.errors import InvalidInputError, NotFoundError
from hub.models.menus import Menu, MenuItem
from hub.models.orders import Order, OrderLine
from hub.models.sites import MealPeriod, Site
from hub.models.supply_bookings import Booking, BookingStatus
from hub.models.supply_forecast import ForecastRow, ForecastRun
from hub.supply.forecast_model import ForecastParams, Panel, daily_grid, forecast

HISTORY_DAYS = 182
MAX_DAYS = 14
COUNTED = (BookingStatus.BOOKED, BookingStatus.PICKED_UP, BookingStatus.NO_SHOW)

Key = tuple[int, int]  # (dish_id, meal_period_id)


def _zone(site: Site) -> ZoneInfo:
    return ZoneInfo(site.timezone)


def _utc_bounds(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(first, time(0), zone)
    hi = datetime.combine(last + timedelta(days=1), time(0), zone)
    return lo, hi


def sold_portions(session: Session, site: Site, first: date, last: date
                  ) -> dict[Key, dict[date, float]]:
    """Portions sold per (dish, meal period) and local day, from first to last inclusive."""
    assert site.id is not None
    zone = _zone(site)
    lo, hi = _utc_bounds(zone, first, last)
    periods = {p.code: p.id for p in session.exec(
        select(MealPeriod).where(MealPeriod.site_id == site.id)).all()}
    stmt = (
        select(OrderLine.dish_id, OrderLine.qty, Order.placed_at, Order.meal_period)
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(Order.site_id == site.id, Order.placed_at >= lo, Order.placed_at < hi,
               col(OrderLine.dish_id).is_not(None))
    )
    out: dict[Key, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for dish_id, qty, placed_at, period_code in session.exec(stmt).all():
        period_id = periods.get(period_code or "")
        if dish_id is None or period_id is None:
            continue  # an order without a known meal period cannot be placed in a series
        out[(dish_id, period_id)][placed_at.astimezone(zone).date()] += qty
    return {k: dict(v) for k, v in out.items()}


def booked_portions(session: Session, site_id: int, first: date, last: date
                    ) -> dict[Key, dict[date, int]]:
    """Dish bookings (not cancelled) per (dish, meal period) and day."""
    stmt = select(Booking).where(
        Booking.site_id == site_id, Booking.day >= first, Booking.day <= last,
        col(Booking.dish_id).is_not(None), col(Booking.status).in_(list(COUNTED)))
    out: dict[Key, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for b in session.exec(stmt).all():
        assert b.dish_id is not None
        out[(b.dish_id, b.meal_period_id)][b.day] += b.qty
    return {k: dict(v) for k, v in out.items()}


def menu_dishes(session: Session, site_id: int) -> dict[int, set[int]]:
    """Per meal period with an active menu: the dishes available on it."""
    stmt = (select(Menu.meal_period_id, MenuItem.dish_id, MenuItem.available)
            .join(MenuItem, col(MenuItem.menu_id) == col(Menu.id))
            .where(Menu.site_id == site_id, col(Menu.active).is_(True)))
    out: dict[int, set[int]] = defaultdict(set)
    for period_id, dish_id, available in session.exec(stmt).all():
        out[period_id]  # a menu whose items are all unavailable still counts as a menu
        if available:
            out[period_id].add(dish_id)
    return dict(out)


@dataclass
class SiteForecast:
    """Forecasts of one site: per (dish, meal period), per day of the horizon."""

    site_id: int
    start: date
    days: int
    origin: date
    portions: dict[tuple[int, date, int], float]
    seasonal_naive: dict[tuple[int, date, int], float]
    booked: dict[tuple[int, date, int], int]
    chosen: str
    validation_wape: float | None
    validation_wape_naive: float | None


def _check(start: date, days: int) -> None:
    if not date(2000, 1, 1) <= start <= date(2100, 1, 1):
        raise InvalidInputError("start: a day from 2000 to 2100", field="start")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInputError(f"days: from 1 to {MAX_DAYS}", field="days")


def compute_site_forecast(session: Session, *, site_id: int, start: date, days: int,
                          history_until: date | None = None,
                          params: ForecastParams | None = None) -> SiteForecast:
    """Forecast `days` days from `start` from the history up to `history_until` (default the
    day before `start`). Nothing is written."""
    _check(start, days)
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError("site not found")
    origin = min(history_until or start - timedelta(days=1), start - timedelta(days=1))
    first = origin - timedelta(days=HISTORY_DAYS - 1)
    last_day = start + timedelta(days=days - 1)
    sold = sold_portions(session, site, first, origin)
    booked = booked_portions(session, site_id, first, last_day)
    menus = menu_dishes(session, site_id)
    keys = set(sold) | {k for k in booked if any(d >= start for d in booked[k])}
    for period_id, dishes in menus.items():
        keys |= {(dish_id, period_id) for dish_id in dishes}
    keys_l = sorted(keys)
    grid = daily_grid(first, last_day)
    col_of = {d: i for i, d in enumerate(grid)}
    n, width = len(keys_l), len(grid)
    values = np.full((n, width), np.nan)
    bookings = np.zeros((n, width))
    on_menu = np.ones((n, width))
    origin_col = col_of[origin]
    site_days = sorted({d for series in sold.values() for d in series})
    site_first = col_of[site_days[0]] if site_days else origin_col + 1
    for i, key in enumerate(keys_l):
        series = sold.get(key, {})
        if series:
            dish_first = col_of[min(series)]
            values[i, max(site_first, dish_first): origin_col + 1] = 0.0
            for day, qty in series.items():
                values[i, col_of[day]] = qty
        for day, qty in booked.get(key, {}).items():
            bookings[i, col_of[day]] = qty
        dish_id, period_id = key
        if period_id in menus and dish_id not in menus[period_id]:
            on_menu[i, origin_col + 1:] = 0.0
    target_cols = np.arange(col_of[start], col_of[last_day] + 1)
    rows = np.repeat(np.arange(n), target_cols.size)
    cols = np.tile(target_cols, n)
    last = np.full(n, origin_col)
    portions: dict[tuple[int, date, int], float] = {}
    naive: dict[tuple[int, date, int], float] = {}
    booked_out: dict[tuple[int, date, int], int] = {}
    chosen, vw, vwn = "model", None, None
    if n:
        panel = Panel(values, last, grid, on_menu, bookings if booked else None)
        result = forecast(panel, rows, cols, params=params or ForecastParams())
        chosen = result.chosen
        vw = result.validation_wape.get(chosen)
        vwn = result.validation_wape.get("seasonal_naive")
        for r, c, p, s in zip(rows, cols, result.model, result.seasonal_naive, strict=True):
            dish_id, period_id = keys_l[r]
            key3 = (dish_id, grid[c], period_id)
            b = int(bookings[r, c])
            portions[key3] = round(max(float(p), float(b)), 2)
            naive[key3] = round(float(s), 2)
            booked_out[key3] = b
    return SiteForecast(site_id, start, days, origin, portions, naive, booked_out, chosen,
                        _finite(vw), _finite(vwn))


def _finite(value: float | None) -> float | None:
    return None if value is None or value != value else round(value, 4)


def run_forecast(session: Session, *, site_id: int, start: date, days: int,
                 history_until: date | None = None,
                 params: ForecastParams | None = None) -> ForecastRun:
    """The forecast job for one site: compute and store a run with its rows (flushed; the
    caller commits)."""
    fc = compute_site_forecast(session, site_id=site_id, start=start, days=days,
                               history_until=history_until, params=params)
    run = ForecastRun(site_id=site_id, start=start, days=days, origin=fc.origin,
                      series=len({(k[0], k[2]) for k in fc.portions}), chosen=fc.chosen,
                      validation_wape=fc.validation_wape,
                      validation_wape_naive=fc.validation_wape_naive)
    session.add(run)
    session.flush()
    assert run.id is not None
    session.add_all(
        ForecastRow(run_id=run.id, site_id=site_id, dish_id=key[0], meal_period_id=key[2],
                    day=key[1], portions=p, seasonal_naive=fc.seasonal_naive[key],
                    booked=fc.booked[key])
        for key, p in fc.portions.items()
    )
    session.flush()
    return run


def run_all_sites(session: Session, *, start: date, days: int) -> list[ForecastRun]:
    """The nightly job: every active site, `days` days from `start`."""
    sites = session.exec(select(Site).where(col(Site.active).is_(True))).all()
    return [run_forecast(session, site_id=s.id, start=start, days=days)
            for s in sites if s.id is not None]


def latest_run(session: Session, *, site_id: int, start: date, days: int) -> ForecastRun | None:
    """The newest stored run of the site that covers every day asked for."""
    end = start + timedelta(days=days - 1)
    for run in session.exec(select(ForecastRun).where(ForecastRun.site_id == site_id)
                            .order_by(col(ForecastRun.id).desc())).all():
        if run.start <= start and end <= run.start + timedelta(days=run.days - 1):
            return run
    return None


def forecast_portions(session: Session, site_id: int, start: date, days: int
                      ) -> dict[tuple[int, date, int], float]:
    """Forecast portions keyed (dish_id, date, meal_period_id) for `days` days from `start`.

    The newest stored run that covers the days when there is one (the nightly job's), else
    computed now from the orders and bookings (nothing stored). Unknown site: NotFoundError;
    days outside 1..14: InvalidInputError."""
    _check(start, days)
    if session.get(Site, site_id) is None:
        raise NotFoundError("site not found")
    run = latest_run(session, site_id=site_id, start=start, days=days)
    if run is None:
        return compute_site_forecast(session, site_id=site_id, start=start, days=days).portions
    end = start + timedelta(days=days - 1)
    rows = session.exec(select(ForecastRow).where(
        ForecastRow.run_id == run.id, ForecastRow.day >= start, ForecastRow.day <= end)).all()
    return {(r.dish_id, r.day, r.meal_period_id): r.portions for r in rows}
