"""Admin pages of the demand forecast and pre-booking: forecast vs actual (with the
seasonal-naive line) as a server-drawn SVG, and pre-bookings per day (kitchen headcount).

Texts: English in the code, Chinese from ZH below, chosen by the page language, so these two
pages need no catalog entries (the other helpers edit the shared catalogs at the same time).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import anyio
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from hub.db_types import utcnow
from hub.i18n import get_language
from hub.i18n import lazy_gettext as _l
from hub.models.sites import MealPeriod, Site
from hub.models.supply_forecast import ForecastRow, ForecastRun
from hub.supply.bookings import headcount
from hub.supply.forecast import sold_portions

ZH = {
    "Forecast vs actual": "预测与实际", "Pre-bookings per day": "每日报餐",
    "Site": "食堂", "Meal period": "餐次", "All": "全部", "Day": "日期", "Show": "查看",
    "Actual portions": "实际份数", "Forecast": "预测", "Seasonal naive": "季节性朴素基线",
    "No site yet.": "还没有食堂。", "Dish": "菜品", "Booked": "已预订",
    "Picked up": "已取餐", "No-show": "未取餐", "No bookings for this day.": "当天没有报餐。",
    "Portions per day, the site's dishes summed; the forecast of each day is the newest run "
    "that covers it.": "每天份数（全部菜品合计）；每天的预测取覆盖该日的最新一次预测。",
    "A meal": "一份餐",
}


def t(text: str) -> str:
    """The page language's text."""
    return ZH.get(text, text) if get_language() == "zh_Hans" else text


def _day(text: str | None, default: date) -> date:
    try:
        value = date.fromisoformat(text or "")
    except ValueError:
        return default
    return value if date(2000, 1, 1) <= value <= date(2100, 1, 1) else default


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


def chart_series(session: Session, site: Site, first: date, last: date,
                 period_id: int | None) -> list[dict[str, Any]]:
    """Per day: actual portions, forecast and seasonal naive (None where there is none)."""
    sold = sold_portions(session, site, first, min(last, utcnow().date()))
    actual: dict[date, float] = defaultdict(float)
    for (_dish, pid), days in sold.items():
        if period_id is None or pid == period_id:
            for d, q in days.items():
                actual[d] += q
    runs = session.exec(select(ForecastRun).where(ForecastRun.site_id == site.id)
                        .order_by(col(ForecastRun.id))).all()
    newest: dict[date, int] = {}
    for run in runs:
        for i in range(run.days):
            assert run.id is not None
            newest[run.start + timedelta(days=i)] = run.id
    fc: dict[date, float] = defaultdict(float)
    naive: dict[date, float] = defaultdict(float)
    if newest:
        rows = session.exec(select(ForecastRow).where(
            col(ForecastRow.run_id).in_(set(newest.values())),
            ForecastRow.day >= first, ForecastRow.day <= last)).all()
        for r in rows:
            if newest.get(r.day) == r.run_id and (period_id is None
                                                  or r.meal_period_id == period_id):
                fc[r.day] += r.portions
                naive[r.day] += r.seasonal_naive
    out = []
    day = first
    while day <= last:
        out.append({"day": day, "actual": actual.get(day) if day in sold_days(sold) else None,
                    "forecast": fc.get(day) if day in newest else None,
                    "naive": naive.get(day) if day in newest else None})
        day += timedelta(days=1)
    return out


def sold_days(sold: dict[Any, dict[date, float]]) -> set[date]:
    return {d for days in sold.values() for d in days}


def svg_chart(points: list[dict[str, Any]], width: int = 900, height: int = 320) -> str:
    """Three polylines (actual, forecast, seasonal naive) with day ticks; plain SVG."""
    pad_l, pad_b, pad_t = 48, 36, 12
    values = [p[k] for p in points for k in ("actual", "forecast", "naive")
              if p[k] is not None]
    top = max(values, default=1.0) * 1.1 or 1.0
    n = max(len(points) - 1, 1)

    def xy(i: int, v: float) -> str:
        x = pad_l + (width - pad_l - 8) * i / n
        y = pad_t + (height - pad_t - pad_b) * (1 - v / top)
        return f"{x:.1f},{y:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" data-testid="forecast-chart">']
    for k in range(5):
        v = top * k / 4
        y = pad_t + (height - pad_t - pad_b) * (1 - k / 4)
        parts.append(f'<line x1="{pad_l}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#e5e7eb"/>')
        parts.append(f'<text x="{pad_l - 6}" y="{y + 4:.1f}" font-size="11" '
                     f'text-anchor="end" fill="#6b7280">{v:.0f}</text>')
    for i, p in enumerate(points):
        if i % 7 == 0:
            x = pad_l + (width - pad_l - 8) * i / n
            parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="11" '
                         f'text-anchor="middle" fill="#6b7280">{p["day"]:%m-%d}</text>')
    styles = {"actual": ("#111827", ""), "forecast": ("#2563eb", ""),
              "naive": ("#f59e0b", ' stroke-dasharray="6 4"')}
    for key, (colour, dash) in styles.items():
        run: list[str] = []
        segments: list[list[str]] = []
        for i, p in enumerate(points):
            if p[key] is None:
                if run:
                    segments.append(run)
                run = []
            else:
                run.append(xy(i, float(p[key])))
        if run:
            segments.append(run)
        for seg in segments:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} '
                         f'points="{" ".join(seg)}" data-series="{key}"/>')
    parts.append("</svg>")
    return "".join(parts)


class _Page(BaseView):
    category = _l("Supply")

    async def _render(self, request: Request, template: str, ctx: dict[str, Any]) -> Response:
        return await self.templates.TemplateResponse(request, template, {"t": t, **ctx})


def _site_and_periods(session: Session, site_id: int | None
                      ) -> tuple[list[Site], Site | None, list[MealPeriod]]:
    sites = list(session.exec(select(Site).order_by(col(Site.id))).all())
    site = next((s for s in sites if s.id == site_id), sites[0] if sites else None)
    periods = [] if site is None else list(session.exec(
        select(MealPeriod).where(MealPeriod.site_id == site.id)
        .order_by(col(MealPeriod.start))).all())
    return sites, site, periods


class ForecastChartView(_Page):
    name = _l("Forecast vs actual")
    icon = "fa-solid fa-chart-line"

    @expose("/supply/forecast", identity="supply-forecast")
    async def page(self, request: Request) -> Response:
        q = request.query_params
        today = utcnow().date()
        last = _day(q.get("to"), today + timedelta(days=7))
        first = _day(q.get("from"), last - timedelta(days=41))
        if first > last or (last - first).days > 180:
            first = last - timedelta(days=41)
        engine: Engine = request.app.state.supply_forecast_engine

        def read() -> dict[str, Any]:
            with Session(engine) as session:
                sites, site, periods = _site_and_periods(session, _int(q.get("site")))
                period_id = _int(q.get("period"))
                if period_id not in {p.id for p in periods}:
                    period_id = None
                points = [] if site is None else chart_series(session, site, first, last,
                                                              period_id)
                return {"sites": sites, "site": site, "periods": periods,
                        "period_id": period_id, "points": points,
                        "svg": svg_chart(points) if points else "",
                        "first": first, "last": last}

        return await self._render(request, "supply_forecast/forecast.html",
                                  await anyio.to_thread.run_sync(read))


class BookingsDayView(_Page):
    name = _l("Pre-bookings per day")
    icon = "fa-solid fa-utensils"

    @expose("/supply/bookings", identity="supply-bookings")
    async def page(self, request: Request) -> Response:
        q = request.query_params
        day = _day(q.get("day"), utcnow().date())
        engine: Engine = request.app.state.supply_forecast_engine

        def read() -> dict[str, Any]:
            with Session(engine) as session:
                sites, site, periods = _site_and_periods(session, _int(q.get("site")))
                lines = [] if site is None or site.id is None else headcount(
                    session, site_id=site.id, day=day)
                names = {p.id: (p.name_zh, p.name_en) for p in periods}
                return {"sites": sites, "site": site, "day": day, "lines": lines,
                        "names": names}

        return await self._render(request, "supply_forecast/bookings.html",
                                  await anyio.to_thread.run_sync(read))


def register_supply_forecast_views(admin: Admin) -> None:
    """Add the forecast chart and the pre-bookings page to the shell."""
    admin.admin.state.supply_forecast_engine = admin.engine
    admin.add_view(ForecastChartView)
    admin.add_view(BookingsDayView)
