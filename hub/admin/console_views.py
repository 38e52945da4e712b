"""The operations console in the admin shell: orders, one order (with refunds), feedback,
and the money reports with their CSV/XLSX downloads.

Pages only parse the query string and render: every figure comes from hub.analytics, a
refund goes through hub.accounts.refunds.refund_order. Dead letters, price reviews and
conflicts keep their own pages (sync_views); the console's navigation links to them.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import anyio
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.accounts.refunds import refund_order
from hub.analytics import close, exports, feedback, liability, money, orders, refunds
from hub.analytics.inputs import (
    STATEMENT_ZONE,
    DateRange,
    ReportInputError,
    date_range,
    month_range,
    parse_day,
    resolve_sites,
)
from hub.db_types import utcnow
from hub.errors import ServiceError
from hub.i18n import get_language, gettext
from hub.i18n import lazy_gettext as _l
from hub.models.analytics import MonthClosure
from hub.models.sites import Site
from protocol.topics import ID_PATTERN
from rules.errors import MoneyError
from rules.money import format_cents, parse_yuan

logger = logging.getLogger(__name__)
T = TypeVar("T")

OPERATIONS = _l("Operations")
PAGE_SIZE = 25
MAX_PAGE = 100_000  # past any real list; keeps the offset a small integer
_ID = re.compile(ID_PATTERN)
_ORDER_ID = re.compile(r"^[0-9a-f-]{36}$")
STATUS_LABELS = {
    "placed": _l("Order placed"), "in_preparation": _l("In preparation"), "ready": _l("Ready"),
    "collected": _l("Collected"), "cancelled": _l("Cancelled"), "unpaid": _l("To pay"),
    "refunded": _l("Refunded"),
}
MEAL_PERIODS = {"breakfast": _l("Breakfast"), "lunch": _l("Lunch"), "dinner": _l("Dinner"),
                "late_snack": _l("Late snack")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _code(request: Request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    return value if _ID.match(value) else ""


def _page(request: Request) -> int:
    try:
        return min(max(int(request.query_params.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


def _range(request: Request, *, required: bool) -> DateRange | None:
    start = request.query_params.get("start", "").strip()[:40]
    end = request.query_params.get("end", "").strip()[:40]
    if not (start or end) and not required:
        return None
    return date_range(start or end, end or start)


def _name(zh: str, en: str) -> str:
    return en if get_language() == "en" else zh


def _common() -> dict[str, Any]:
    """What every console template uses: money, labels, the language's dish names."""
    return {"yuan": format_cents, "method_label": exports.method_label,
            "source_label": exports.source_label,
            "status_labels": STATUS_LABELS, "meal_periods": MEAL_PERIODS, "dish_name": _name}


class _ConsolePage(BaseView):
    """Database access for console pages, off the event loop."""

    category = OPERATIONS

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.console_engine

        def run() -> T:
            with Session(engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    async def _sites(self, request: Request) -> list[str]:
        return await self._db(request, lambda s: list(s.exec(
            select(Site.code).order_by(col(Site.code))).all()))


class OrdersView(_ConsolePage):
    """Orders filtered by site, device, meal period, member, status, payment and days."""

    name = _l("Orders")
    icon = "fa-solid fa-receipt"

    @expose("/console/orders", identity="console-orders")
    async def list_orders(self, request: Request) -> Response:
        """One page of orders, newest first."""
        q = request.query_params
        filters = {k: _code(request, k) for k in ("site", "device", "meal_period", "member")}
        filters["status"] = q.get("status", "") if q.get("status") in orders.STATUSES else ""
        filters["payment"] = q.get("payment", "") if q.get("payment") in orders.PAYMENT_METHODS \
            else ""
        filters["start"], filters["end"] = q.get("start", "")[:10], q.get("end", "")[:10]
        page = _page(request)
        error: str | None = None
        rows: list[orders.OrderRow] = []
        total = 0
        try:
            def read(s: Session) -> tuple[list[orders.OrderRow], int]:
                days = _range(request, required=False)
                sites = resolve_sites(s, filters["site"] or None) \
                    if filters["site"] or days else None
                f = orders.OrderFilter(
                    sites=sites, device=filters["device"] or None,
                    meal_period=filters["meal_period"] or None, member=filters["member"] or None,
                    status=filters["status"] or None, payment=filters["payment"] or None,
                    days=days)
                return orders.list_orders(s, f, limit=PAGE_SIZE,
                                          offset=(page - 1) * PAGE_SIZE)

            rows, total = await self._db(request, read)
        except ReportInputError as err:
            error = err.localized()
        return await self.templates.TemplateResponse(
            request, "console/orders.html",
            {**_common(), "rows": rows, "total": total, "page": page, "error": error,
             "pages": max(1, math.ceil(total / PAGE_SIZE)), "filters": filters,
             "sites": await self._sites(request), "methods": orders.PAYMENT_METHODS},
            status_code=400 if error else 200)

    @expose("/console/orders/{order_id}", identity="console-order")
    async def order(self, request: Request) -> Response:
        """One order: lines, payments, ledger entries, kitchen timeline, feedback, refund."""
        return await self._order(request)

    @expose("/console/orders/{order_id}/refund", methods=["POST"],
            identity="console-order-refund")
    async def refund(self, request: Request) -> Response:
        """Refund all or part of the order through the refund service."""
        order_id = str(request.path_params["order_id"]).lower()
        if not _ORDER_ID.match(order_id):
            return Response(status_code=404)
        form = await request.form()
        reason = str(form.get("reason") or "").strip()[:200]
        amount_text = str(form.get("amount") or "").strip()
        shown = str(form.get("refundable") or "")
        try:
            amount = parse_yuan(amount_text) if amount_text else None
        except MoneyError as err:
            label = err.label.en if get_language() == "en" else err.label.zh
            return await self._order(
                request, error=gettext("Enter an amount in yuan, e.g. 12.50") + f" ({label})")
        if not reason:
            return await self._order(request, error=gettext("A refund needs a reason."))
        actor = str(request.state.admin_user.username)

        def write(s: Session) -> str:
            detail = orders.order_detail(s, order_id)
            # What the page showed must still hold: a second click (or a second manager)
            # meets an order already refunded and is refused, not refunded twice.
            if detail is None or str(detail.refundable_cents) != shown:
                raise _Stale
            receipt = refund_order(s, order_id=order_id, reason=reason, actor=actor,
                                   at=utcnow(), amount_cents=amount)
            return receipt.receipt_no

        try:
            receipt_no = await self._db(request, write)
        except _Stale:
            return await self._order(request, error=gettext(
                "The order changed since this page was shown; nothing was refunded. "
                "Check the figures and try again."))
        except ServiceError as err:
            logger.info("console refund of %s refused: %s", order_id, err)
            return await self._order(request, error=gettext("Refused: %(why)s") % {"why": str(err)})
        url = request.url_for("admin:view-console-order", order_id=order_id)
        return RedirectResponse(f"{url}?refunded={receipt_no}", status_code=303)

    async def _order(self, request: Request, *, error: str | None = None) -> Response:
        order_id = str(request.path_params["order_id"]).lower()
        detail = await self._db(request, lambda s: orders.order_detail(s, order_id)) \
            if _ORDER_ID.match(order_id) else None
        if detail is None:
            return await self.templates.TemplateResponse(
                request, "console/order.html", {**_common(), "detail": None, "error": None},
                status_code=404)
        return await self.templates.TemplateResponse(
            request, "console/order.html",
            {**_common(), "detail": detail, "error": error,
             "refunded": request.query_params.get("refunded", "")[:40]},
            status_code=400 if error else 200)


class _Stale(Exception):
    """The order's refundable amount moved since the page was rendered."""


class FeedbackView(_ConsolePage):
    """Feedback per order with comments, and ratings per dish."""

    name = _l("Feedback")
    icon = "fa-solid fa-comment-dots"

    @expose("/console/feedback", identity="console-feedback")
    async def feedback(self, request: Request) -> Response:
        """Feedback entries (newest first) and each dish's ratings (lowest first)."""
        site = _code(request, "site")
        comments_only = request.query_params.get("comments") == "1"
        page = _page(request)
        error = None
        rows: list[feedback.FeedbackRow] = []
        dishes: list[feedback.DishRating] = []
        total = 0
        try:
            def read(s: Session) -> tuple[list[feedback.FeedbackRow], int,
                                          list[feedback.DishRating]]:
                days = _range(request, required=False)
                sites = resolve_sites(s, site or None) if site or days else None
                found, n = feedback.list_feedback(s, sites=sites, days=days,
                                                  comments_only=comments_only,
                                                  limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
                return found, n, feedback.ratings_per_dish(s, sites=sites, days=days)

            rows, total, dishes = await self._db(request, read)
        except ReportInputError as err:
            error = err.localized()
        q = request.query_params
        filters = {"site": site, "start": q.get("start", "")[:10], "end": q.get("end", "")[:10],
                   "comments": "1" if comments_only else ""}
        return await self.templates.TemplateResponse(
            request, "console/feedback.html",
            {**_common(), "rows": rows, "dishes": dishes, "total": total, "page": page,
             "pages": max(1, math.ceil(total / PAGE_SIZE)), "filters": filters, "error": error,
             "sites": await self._sites(request)},
            status_code=400 if error else 200)


class MoneyView(_ConsolePage):
    """Income, refunds, stored-value liability, the subsidy statement and the month-end close."""

    name = _l("Money reports")
    icon = "fa-solid fa-coins"

    @expose("/console/money", identity="console-money")
    async def income(self, request: Request) -> Response:
        """The income report for a range (default: this month so far), or its CSV/XLSX."""
        q = request.query_params
        today = utcnow().date()
        start = q.get("start", "")[:10] or (today.replace(day=1)).isoformat()
        end = q.get("end", "")[:10] or today.isoformat()
        site = _code(request, "site")
        fmt = q.get("format", "")
        report, error = None, None
        back: refunds.RefundsReport | None = None
        try:
            def read(s: Session) -> tuple[money.IncomeReport, refunds.RefundsReport]:
                days, sites = date_range(start, end), resolve_sites(s, site or None)
                return (money.income_by_payment(s, days=days, sites=sites),
                        refunds.refunds_report(s, days=days, sites=sites))

            report, back = await self._db(request, read)
        except ReportInputError as err:
            error = err.localized()
        if report is not None and fmt in ("csv", "xlsx"):
            header, rows = exports.income_table(report, back)
            name = f"income-{report.start}-{report.end}{'-' + site if site else ''}"
            if fmt == "csv":
                return _download(exports.to_csv(header, rows), f"{name}.csv",
                                 "text/csv; charset=utf-8")
            title = gettext("Income by payment type") + f" {report.start} – {report.end}"
            return _download(exports.to_xlsx(title, header, rows), f"{name}.xlsx", XLSX)
        return await self.templates.TemplateResponse(
            request, "console/income.html",
            {**_common(), "report": report, "error": error, "sites": await self._sites(request),
             "refunds": {} if back is None else {(r.day, r.site): r.total_cents
                                                 for r in back.rows},
             "refunded_total": 0 if back is None else back.total_cents,
             "filters": {"start": start, "end": end, "site": site}},
            status_code=400 if error else 200)

    @expose("/console/refunds", identity="console-refunds")
    async def refunds(self, request: Request) -> Response:
        """Refunds per day, site and source for a range (default: this month so far), or CSV."""
        q = request.query_params
        today = utcnow().date()
        start = q.get("start", "")[:10] or (today.replace(day=1)).isoformat()
        end = q.get("end", "")[:10] or today.isoformat()
        site = _code(request, "site")
        report, error = None, None
        try:
            report = await self._db(request, lambda s: refunds.refunds_report(
                s, days=date_range(start, end), sites=resolve_sites(s, site or None)))
        except ReportInputError as err:
            error = err.localized()
        if report is not None and q.get("format") == "csv":
            header, rows = exports.refunds_table(report)
            name = f"refunds-{report.start}-{report.end}{'-' + site if site else ''}"
            return _download(exports.to_csv(header, rows), f"{name}.csv",
                             "text/csv; charset=utf-8")
        return await self.templates.TemplateResponse(
            request, "console/refunds.html",
            {**_common(), "report": report, "error": error, "sites": await self._sites(request),
             "filters": {"start": start, "end": end, "site": site}},
            status_code=400 if error else 200)

    @expose("/console/liability", identity="console-liability")
    async def liability(self, request: Request) -> Response:
        """Stored-value liability at the end of a day (default: today), or its XLSX."""
        text = request.query_params.get("day", "").strip()[:40]
        text = text or utcnow().astimezone(STATEMENT_ZONE).date().isoformat()
        found, error = None, None
        try:
            day = parse_day(text, field="day")
            found = await self._db(request, lambda s: liability.liability_at(s, day=day))
        except ReportInputError as err:
            error = err.localized()
        if found is not None and request.query_params.get("format") == "xlsx":
            return _xlsx(gettext("Stored-value liability") + f" {found.day}",
                         f"liability-{found.day}.xlsx", exports.liability_table(found))
        return await self.templates.TemplateResponse(
            request, "console/liability.html",
            {**_common(), "report": found, "error": error, "day": text[:10]},
            status_code=400 if error else 200)

    @expose("/console/month-close", identity="console-close")
    async def month_close(self, request: Request) -> Response:
        """The month-end close of a month (default: last month), or its differences as XLSX."""
        return await self._close_page(request)

    @expose("/console/month-close/record", methods=["POST"], identity="console-close-record")
    async def record_close(self, request: Request) -> Response:
        """Record the month as closed (refused with the reason, nothing written)."""
        form = await request.form()
        month = str(form.get("month") or "").strip()[:7]
        note = str(form.get("note") or "").strip()[:200]
        accept = form.get("accept") == "1"
        actor = str(request.state.admin_user.username)
        today = utcnow().astimezone(STATEMENT_ZONE).date()
        try:
            await self._db(request, lambda s: close.record_close(
                s, month=month, today=today, actor=actor, at=utcnow(),
                accept_differences=accept, note=note))
        except ReportInputError as err:
            return await self._close_page(request, month=month, error=err.localized())
        url = request.url_for("admin:view-console-close")
        return RedirectResponse(f"{url}?month={month}", status_code=303)

    async def _close_page(self, request: Request, *, month: str | None = None,
                          error: str | None = None) -> Response:
        today = utcnow().astimezone(STATEMENT_ZONE).date()
        last = (today.replace(day=1) - timedelta(days=1))
        month = month or request.query_params.get("month", "").strip()[:7] or f"{last:%Y-%m}"
        found, state = None, None
        try:
            def read(s: Session) -> tuple[close.MonthClose, close.CloseState]:
                report = close.month_close(s, month=month, today=today)
                return report, close.close_state(s, month=report.month)

            found, state = await self._db(request, read)
        except ReportInputError as err:
            error = error or err.localized()
        if found is not None and request.query_params.get("format") == "xlsx":
            return _xlsx(gettext("Month-end close") + f" {found.month}",
                         f"close-{found.month}.xlsx", exports.close_table(found))
        ended = found is not None and month_range(found.month).end < today
        return await self.templates.TemplateResponse(
            request, "console/close.html",
            {**_common(), "report": found, "error": error, "month": month, "state": state,
             "ended": ended},
            status_code=400 if error else 200)

    @expose("/console/subsidy-statement", identity="console-subsidy")
    async def statement(self, request: Request) -> Response:
        """The subsidy statement of a month (default: this month), or its XLSX."""
        month = request.query_params.get("month", "")[:7] or f"{utcnow():%Y-%m}"
        report, error = None, None
        try:
            report = await self._db(request, lambda s: money.subsidy_statement(
                s, month=month_range(month)))
        except ReportInputError as err:
            error = err.localized()
        fmt = request.query_params.get("format")
        closed = None
        if report is not None:
            closed = await self._db(request, lambda s: s.get(MonthClosure, report.month))
        if report is not None and fmt in ("xlsx", "pdf") and closed is None:
            # The employer is billed from these files: only for a month staff have closed.
            error = close.not_closed(report.month).localized()
            return await self.templates.TemplateResponse(
                request, "console/subsidy.html",
                {**_common(), "report": report, "error": error, "month": month,
                 "closed": closed}, status_code=409)
        if report is not None and fmt == "xlsx":
            return _xlsx(gettext("Subsidy statement") + f" {report.month}",
                         f"subsidy-{report.month}.xlsx", exports.statement_table(report))
        if report is not None and fmt == "pdf":
            printed = utcnow().astimezone(STATEMENT_ZONE).strftime("%Y-%m-%d %H:%M")
            body = await anyio.to_thread.run_sync(
                lambda: exports.statement_pdf(report, printed_at=printed))
            return _download(body, f"subsidy-{report.month}.pdf", "application/pdf")
        return await self.templates.TemplateResponse(
            request, "console/subsidy.html",
            {**_common(), "report": report, "error": error, "month": month, "closed": closed},
            status_code=400 if error else 200)


def _xlsx(title: str, filename: str, table: tuple[list[str], list[list[object]]]) -> Response:
    header, rows = table
    return _download(exports.to_xlsx(title, header, rows), filename, XLSX)


def _download(body: bytes, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def register_console_views(admin: Admin) -> None:
    """Add the operations console to the shell (mount_admin calls this)."""
    admin.admin.state.console_engine = admin.engine
    for view in (OrdersView, FeedbackView, MoneyView):
        admin.add_view(view)
