"""Admin page of the notifications: the outbox with its filters (state, kind) and the
delivery log of the rows shown. Read-only: producers queue, the dispatcher delivers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from hub.admin.crm_cases_views import CRM
from hub.i18n import lazy_gettext as _l
from hub.models.members import Member
from hub.models.notify import Delivery, Outbox
from hub.notify import service as svc

T = TypeVar("T")
PAGE_SIZE = 25
STATE_LABELS = {"queued": _l("Queued"), "sent": _l("Sent"), "failed": _l("Failed"),
                "suppressed": _l("Suppressed")}
KIND_LABELS = {"birthday": _l("Birthday care"), "winback": _l("Win-back"),
               "complaint_resolved": _l("Complaint resolved"),
               "booking_reminder": _l("Booking reminder"), "low_balance": _l("Low balance")}
CHANNEL_LABELS = {"email": _l("E-mail"), "sms": _l("SMS"), "kiosk": _l("Kiosk greeting")}
OUTCOME_LABELS = {"sent": _l("Sent"), "retry": _l("Retry"), "failed": _l("Failed"),
                  "deferred": _l("Deferred (quiet hours)"), "suppressed": _l("Suppressed")}
STATE_BADGES = {"queued": "bg-blue-lt", "sent": "bg-green-lt", "failed": "bg-red-lt",
                "suppressed": "bg-secondary-lt"}


class NotifyView(BaseView):
    """The outbox and its delivery log."""

    category = CRM
    name = _l("Notifications")
    icon = "fa-solid fa-envelope"

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.notify_engine

        def run() -> T:
            with Session(engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    @expose("/notify/outbox", identity="notify-outbox")
    async def outbox(self, request: Request) -> Response:
        """Newest first; filters by state and kind; the log lines of the rows shown."""
        q = request.query_params
        state = q.get("state", "") if q.get("state") in STATE_LABELS else ""
        kind = q.get("kind", "") if q.get("kind") in KIND_LABELS else ""
        try:
            page = min(max(int(q.get("page", "1")), 1), 100_000)
        except ValueError:
            page = 1

        def read(s: Session) -> tuple[list[Outbox], int, dict[str, int], list[Delivery],
                                      dict[int, str]]:
            rows, total = svc.list_outbox(s, state=state or None, kind=kind or None,
                                          limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            log, _ = svc.list_deliveries(s, outbox_ids=[r.id for r in rows if r.id],
                                         limit=100)
            ids = {r.member_id for r in rows}
            numbers = {m.id or 0: m.member_no for m in s.exec(
                select(Member).where(col(Member.id).in_(ids)))}
            return rows, total, svc.state_counts(s), log, numbers

        rows, total, counts, log, numbers = await self._db(request, read)
        context: dict[str, Any] = {
            "rows": rows, "total": total, "page": page, "counts": counts, "log": log,
            "member_no": numbers,
            "pages": max(1, math.ceil(total / PAGE_SIZE)),
            "filters": {"state": state, "kind": kind}, "state_labels": STATE_LABELS,
            "kind_labels": KIND_LABELS, "channel_labels": CHANNEL_LABELS,
            "outcome_labels": OUTCOME_LABELS, "state_badges": STATE_BADGES}
        return await self.templates.TemplateResponse(request, "notify/outbox.html", context)


def register_notify_views(admin: Admin) -> None:
    """Add the notifications page to the shell (mount_admin calls this)."""
    admin.admin.state.notify_engine = admin.engine
    admin.add_view(NotifyView)
