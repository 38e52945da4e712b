"""The dashboard page of the operations console: charts with a table view and a CSV each.

Figures come from hub.analytics.dashboard; the page only parses the query and renders.
ECharts is vendored (hub/admin/vendor, Apache-2.0) and served behind the admin login:
no CDN, so the page works on a site network without internet.
"""

from __future__ import annotations

from pathlib import Path

from sqladmin import BaseView, expose
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from hub.admin.console_views import OPERATIONS, _code, _common, _ConsolePage, _download
from hub.analytics import dashboard, exports, mining
from hub.analytics.inputs import (
    STATEMENT_ZONE,
    DateRange,
    ReportInputError,
    date_range,
    resolve_sites,
)
from hub.db_types import utcnow
from hub.i18n import get_language
from hub.i18n import lazy_gettext as _l

VENDOR = Path(__file__).parent / "vendor"


class DashboardView(_ConsolePage):
    """Sales, traffic, members, satisfaction, kitchen and subsidy at a glance."""

    name = _l("Operations dashboard")
    icon = "fa-solid fa-chart-column"
    category = OPERATIONS

    @staticmethod
    def _range(request: Request) -> DateRange:
        q = request.query_params
        start, end = q.get("start", "").strip()[:40], q.get("end", "").strip()[:40]
        if not (start or end):
            return dashboard.default_range(utcnow().astimezone(STATEMENT_ZONE).date())
        return date_range(start or end, end or start)

    @expose("/console/dashboard", identity="console-dashboard")
    async def page(self, request: Request) -> Response:
        """Every chart for a date range and one site or all (default: the last 28 days)."""
        site = _code(request, "site")
        lang = get_language()
        error = None
        charts: list[dashboard.Chart] = []
        days = None
        try:
            days = DashboardView._range(request)

            def read(s: Session) -> list[dashboard.Chart]:
                assert days is not None
                facts = dashboard.load_facts(s, days, resolve_sites(s, site or None))
                return dashboard.build_charts(s, facts, lang)

            charts = await self._db(request, read)
        except ReportInputError as err:
            error = err.localized()
        filters = {"site": site,
                   "start": days.start.isoformat() if days else request.query_params.get(
                       "start", "")[:10],
                   "end": days.end.isoformat() if days else request.query_params.get(
                       "end", "")[:10]}
        options = {c.key: dashboard.echarts_option(c)
                   for c in charts if c.kind not in ("table", "kpi")}
        return await self.templates.TemplateResponse(
            request, "console/dashboard.html",
            {**_common(), "charts": charts, "options": options, "filters": filters,
             "error": error, "sites": await self._sites(request),
             "cell": dashboard.display_value, "has_orders": bool(
                 charts and charts[0].rows and charts[0].rows[0][2])},
            status_code=400 if error else 200)

    @expose("/console/dashboard/{chart}.csv", identity="console-dashboard-csv")
    async def csv(self, request: Request) -> Response:
        """One chart's table as UTF-8 CSV (the figures the chart draws)."""
        key = str(request.path_params["chart"])
        if key not in dashboard.CHART_KEYS:
            return Response(status_code=404)
        site = _code(request, "site")
        lang = get_language()
        try:
            days = DashboardView._range(request)
        except ReportInputError as err:
            return Response(err.localized(), status_code=400)

        def read(s: Session) -> dashboard.Chart:
            facts = dashboard.load_facts(s, days, resolve_sites(s, site or None))
            return dashboard.build_charts(s, facts, lang, only=key)[0]

        try:
            chart = await self._db(request, read)
        except ReportInputError as err:
            return Response(err.localized(), status_code=400)
        header, rows = dashboard.chart_table(chart)
        return _download(exports.to_csv(header, rows),
                         f"{key}-{days.start}-{days.end}.csv", "text/csv; charset=utf-8")


class _Assets(BaseView):
    """The vendored chart library, served to signed-in staff only (no category: not in menu)."""

    name = "assets"

    def is_visible(self, request: Request) -> bool:
        return False

    @expose("/console/assets/echarts.min.js", identity="console-echarts")
    async def echarts(self, request: Request) -> Response:
        """ECharts 5 (Apache-2.0), cached for a day."""
        return FileResponse(VENDOR / "echarts.min.js", media_type="text/javascript",
                            headers={"Cache-Control": "private, max-age=86400"})




TRAITS_UP = {
    "orders": _l("comes more often"), "average_ticket": _l("spends more per order"),
    "recency_days": _l("has not come lately"), "weekend": _l("eats at weekends"),
}
TRAITS_DOWN = {
    "orders": _l("comes less often"), "average_ticket": _l("spends less per order"),
    "recency_days": _l("came recently"), "weekend": _l("rarely eats at weekends"),
}


def trait_text(feature: str, z: float) -> str:
    """A cluster's trait in words: what its diners do more (or less) than the average."""
    kind, _, value = feature.partition(":")
    if kind == "period":
        label = str(dashboard.MEAL_PERIOD_NAMES.get(value, value))
        return str(_l("more %(what)s") if z > 0 else _l("fewer %(what)s")) % {"what": label}
    if kind == "category":
        return str(_l("more %(what)s") if z > 0 else _l("less %(what)s")) % {"what": value}
    return str((TRAITS_UP if z > 0 else TRAITS_DOWN)[feature])


def _share(text: str, *, default: float, least: float) -> float:
    """A threshold between ``least`` and 1 from the query (the default when not a number)."""
    try:
        value = float(text[:20])
    except ValueError:
        return default
    return min(max(value, least), 1.0) if value == value else default  # NaN: the default


class MiningView(_ConsolePage):
    """Dishes bought together (set meals to create) and diner groups (segments to target)."""

    name = _l("Dishes and diners")
    icon = "fa-solid fa-diagram-project"
    category = OPERATIONS

    @expose("/console/mining", identity="console-mining")
    async def page(self, request: Request) -> Response:
        """Association rules for the range (and meal period), and the diner groups."""
        q = request.query_params
        site = _code(request, "site")
        period = q.get("meal_period", "") if q.get("meal_period") in mining.MEAL_PERIODS else ""
        support = _share(q.get("support", ""), default=0.02, least=0.001)
        confidence = _share(q.get("confidence", ""), default=0.3, least=0.01)
        lang = get_language()
        error = None
        rules: mining.Rules | None = None
        grouping: mining.Grouping | None = None
        days = None
        try:
            days = DashboardView._range(request)

            def read(s: Session) -> tuple[mining.Rules, mining.Grouping]:
                assert days is not None
                sites = resolve_sites(s, site or None)
                found, names = mining.baskets(s, days, sites, period or None)
                return (mining.association_rules(found, names, min_support=support,
                                                 min_confidence=confidence, lang=lang),
                        mining.group_diners(mining.diner_features(s, days, sites)))

            rules, grouping = await self._db(request, read)
        except ReportInputError as err:
            error = err.localized()
        filters = {"site": site, "meal_period": period, "support": f"{support:g}",
                   "confidence": f"{confidence:g}",
                   "start": days.start.isoformat() if days else q.get("start", "")[:10],
                   "end": days.end.isoformat() if days else q.get("end", "")[:10]}
        return await self.templates.TemplateResponse(
            request, "console/mining.html",
            {**_common(), "rules": rules, "grouping": grouping, "filters": filters,
             "error": error, "sites": await self._sites(request), "trait": trait_text,
             "periods": mining.MEAL_PERIODS, "min_orders": mining.MIN_ORDERS},
            status_code=400 if error else 200)


DASHBOARD_VIEWS = (DashboardView, MiningView, _Assets)
