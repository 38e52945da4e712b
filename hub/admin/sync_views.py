"""The admin shell's sync pages: dead letters, price reviews, conflicts, downlinks; read-only.

Dead letters and price reviews are plain model views of their tables. Conflicts are a
page of their own: the figure worth seeing (the order total the device sent beside the
one the hub stored) is not a column, so the page reads through the same function as
``GET /api/v1/sync/conflicts``.
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

import anyio
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from hub.admin.views import HubModelView, money
from hub.i18n import lazy_gettext as _l
from hub.ingest.conflicts import ConflictKind, list_conflicts
from hub.models.downlinks import DownlinkStatus
from hub.models.ingest import DeadLetter, PriceReview
from protocol.topics import ID_PATTERN
from rules.money import format_cents

SYNC = _l("Sync")
CONFLICTS_IDENTITY = "sync-conflicts"
PAGE_SIZE = 25
MAX_PAGE = 100_000  # past any real table; keeps the offset a small integer
_ID = re.compile(ID_PATTERN)

KIND_LABELS = {
    ConflictKind.MESSAGE_ID: _l("Message id reused"),
    ConflictKind.ORDER_ID: _l("Order id reused"),
}


class DeadLetterAdmin(HubModelView, model=DeadLetter):
    """Uplinks that could never be ingested, with their reason code (read-only)."""

    name = _l("Dead letter")
    name_plural = _l("Dead letters")
    icon = "fa-solid fa-envelope-circle-check"
    category = SYNC
    can_create = False
    can_edit = False
    can_delete = False
    column_list = (
        "id", "received_at", "reason", "site_code", "device_code", "message_id", "size_bytes",
    )
    column_details_exclude_list = ("raw",)
    column_searchable_list = ("reason", "device_code", "message_id")
    column_default_sort = ("id", True)
    column_labels: ClassVar[dict[Any, Any]] = {
        "received_at": _l("Received"),
        "reason": _l("Reason"),
        "detail": _l("Detail"),
        "topic": _l("Topic"),
        "site_code": _l("Site"),
        "device_code": _l("Device"),
        "message_id": _l("Message id"),
        "size_bytes": _l("Size (bytes)"),
    }


class PriceReviewAdmin(HubModelView, model=PriceReview):
    """Orders whose kiosk figures differ from the hub's: kept as recorded, listed here."""

    name = _l("Price review")
    name_plural = _l("Price reviews")
    icon = "fa-solid fa-scale-unbalanced"
    category = SYNC
    can_create = False
    can_edit = False
    can_delete = False
    column_list = (
        "order_id", "created_at", "kiosk_total_cents", "hub_total_cents",
        "kiosk_subtotal_cents", "hub_subtotal_cents", "detail",
    )
    column_default_sort = ("created_at", True)
    column_labels: ClassVar[dict[Any, Any]] = {
        "order_id": _l("Order id"),
        "created_at": _l("Created"),
        "kiosk_total_cents": _l("Kiosk total"),
        "hub_total_cents": _l("Hub total"),
        "kiosk_subtotal_cents": _l("Kiosk subtotal"),
        "hub_subtotal_cents": _l("Hub subtotal"),
        "detail": _l("Detail"),
    }
    _money: ClassVar[dict[Any, Any]] = {
        c: money(c) for c in (
            "kiosk_total_cents", "hub_total_cents", "kiosk_subtotal_cents", "hub_subtotal_cents",
        )
    }
    column_formatters = _money
    column_formatters_detail = _money


def _id_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value if _ID.match(value) else None


def _cents(value: int | None) -> str:
    return "" if value is None else format_cents(value)


class ConflictsView(BaseView):
    """Uplinks refused as conflicts: what the device sent beside what the hub stored."""

    name = _l("Conflicts")
    icon = "fa-solid fa-code-compare"
    category = SYNC

    @expose("/sync/conflicts", identity=CONFLICTS_IDENTITY)
    async def conflicts(self, request: Request) -> Response:
        """One page of conflicts, newest first, filtered by site, device and kind."""
        site, device = _id_param(request, "site"), _id_param(request, "device")
        kind_text = request.query_params.get("kind", "")
        kind = ConflictKind(kind_text) if kind_text in set(ConflictKind) else None
        try:
            page = min(max(int(request.query_params.get("page", "1")), 1), MAX_PAGE)
        except ValueError:
            page = 1
        engine: Engine = request.app.state.sync_engine

        def read() -> tuple[list[Any], int]:
            with Session(engine) as session:
                return list_conflicts(session, site=site, device=device, kind=kind,
                                      limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)

        items, total = await anyio.to_thread.run_sync(read)
        rows = [
            {"c": c, "kind": KIND_LABELS[c.kind], "sent": _cents(c.sent_total_cents),
             "stored": _cents(c.stored_total_cents)}
            for c in items
        ]
        return await self.templates.TemplateResponse(
            request, "sync/conflicts.html",
            {"rows": rows, "total": total, "page": page,
             "pages": max(1, math.ceil(total / PAGE_SIZE)),
             "filters": {"site": site or "", "device": device or "",
                         "kind": kind.value if kind else ""},
             "kinds": [(k.value, label) for k, label in KIND_LABELS.items()]},
        )


DOWNLINK_KINDS = {"catalog": _l("Catalog"), "members": _l("Member cache")}


def _downlink_kind(model: Any, _attr: Any) -> str:
    label = DOWNLINK_KINDS.get(model.kind)
    return model.kind if label is None else str(label)


def _left_out(model: Any, _attr: Any) -> str:
    return "; ".join(f"{p['what']} {p['code']}: {p['reason']}".replace("  ", " ")
                     for p in model.problems or [])


class DownlinkStatusAdmin(HubModelView, model=DownlinkStatus):
    """Each site's catalog and member-cache downlink: rows left out, or why none was sent."""

    name = _l("Downlink status")
    name_plural = _l("Downlink statuses")
    icon = "fa-solid fa-tower-broadcast"
    category = SYNC
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("site_id", "kind", "error", "problems", "since")
    column_default_sort = ("since", True)
    column_labels: ClassVar[dict[Any, Any]] = {
        "site_id": _l("Site id"),
        "kind": _l("Kind"),
        "error": _l("Not sent because"),
        "problems": _l("Rows left out"),
        "since": _l("Since"),
    }
    column_formatters: ClassVar[dict[Any, Any]] = {"kind": _downlink_kind,
                                                   "problems": _left_out}
    column_formatters_detail = column_formatters


def register_sync_views(admin: Admin) -> None:
    """Add dead letters, price reviews, conflicts, downlinks to the shell (mount_admin calls)."""
    admin.admin.state.sync_engine = admin.engine
    for view in (DeadLetterAdmin, PriceReviewAdmin, ConflictsView, DownlinkStatusAdmin):
        admin.add_view(view)
