"""Read side of ingest conflicts: what a device sent against what the hub had already stored.

A conflict is an uplink the hub refused (and acknowledged as ``conflict``) because it
reused an id with different content: a message id already ingested with another
digest (``stored_digest`` is that digest), or an order id already stored under another
message id (``stored_digest`` is null). The table keeps the refused message's bytes;
the figures to compare come from them and from the order the hub holds.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session

from hub.models import Order
from hub.models.ingest import IngestConflict, IngestedMessage
from protocol import ROOT, parse_topic
from protocol.errors import ProtocolError

_C = IngestConflict.__table__  # type: ignore[attr-defined]
_M = IngestedMessage.__table__  # type: ignore[attr-defined]
_O = Order.__table__  # type: ignore[attr-defined]

RAW_TEXT_CHARS = 4096


class ConflictKind(StrEnum):
    """Which id was reused."""

    MESSAGE_ID = "message_id"
    ORDER_ID = "order_id"


class ConflictPublic(BaseModel):
    """A conflict as the API returns it: both figures side by side, the raw bytes as text."""

    id: int
    kind: ConflictKind = Field(description="which id was reused")
    reason: str
    site_code: str | None
    device_code: str | None
    type: str | None = Field(description="the refused message's event type")
    message_id: str
    order_id: str | None = Field(description="the order id the refused message carried")
    sent_total_cents: int | None = Field(description="the refused message's order total")
    stored_message_id: str | None = Field(description="the message the hub had stored")
    stored_order_id: str | None
    stored_total_cents: int | None = Field(description="the stored order's total")
    digest: str
    stored_digest: str | None
    topic: str
    raw_text: str
    received_at: datetime


def _like_literal(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(site: str | None, device: str | None, kind: ConflictKind | None) -> list[Any]:
    where: list[Any] = []
    if site or device:
        # Site and device live in the topic: canteen/v1/site/<site>/device/<device>/up/<type>
        s = _like_literal(site) if site else "%"
        d = _like_literal(device) if device else "%"
        where.append(_C.c.topic.like(f"{ROOT}/site/{s}/device/{d}/up/%", escape="\\"))
    if kind is ConflictKind.MESSAGE_ID:
        where.append(_C.c.stored_digest.is_not(None))
    elif kind is ConflictKind.ORDER_ID:
        where.append(_C.c.stored_digest.is_(None))
    return where


def _sent(raw: bytes) -> dict[str, Any]:
    """The refused message's payload, or {} when its kept bytes do not decode."""
    try:
        data = json.loads(bytes(raw))
    except (ValueError, UnicodeDecodeError):
        return {}
    payload = data.get("payload") if isinstance(data, dict) else None
    return payload if isinstance(payload, dict) else {}


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: object) -> str | None:
    return value[:36] if isinstance(value, str) else None


def list_conflicts(
    session: Session, *, site: str | None = None, device: str | None = None,
    kind: ConflictKind | None = None, limit: int, offset: int,
) -> tuple[list[ConflictPublic], int]:
    """Newest first, each with the sent and the stored order total where there is one."""
    where = _where(site, device, kind)
    total = session.execute(sa.select(sa.func.count()).select_from(_C).where(*where)).scalar_one()
    rows = list(session.execute(
        sa.select(_C).where(*where).order_by(_C.c.id.desc()).limit(limit).offset(offset)
    ).mappings())
    sent = {r["id"]: _sent(r["raw"]) for r in rows}
    # The stored side: by message id (its order) for a reused message id, by order id
    # (and the message that brought it) for a reused order id.
    by_message = {
        m: o for m, o in session.execute(
            sa.select(_M.c.message_id, _M.c.order_id)
            .where(_M.c.message_id.in_({r["message_id"] for r in rows if r["stored_digest"]}))
        )
    }
    sent_orders = {_str_or_none(p.get("order_id")) for p in sent.values()} - {None}
    message_of_order = {
        o: m for m, o in session.execute(
            sa.select(_M.c.message_id, _M.c.order_id).where(_M.c.order_id.in_(sent_orders))
        )
    }
    wanted = sent_orders | {o for o in by_message.values() if o}
    totals: dict[str, int] = {
        o: int(t) for o, t in session.execute(
            sa.select(_O.c.id, _O.c.total_cents).where(_O.c.id.in_(wanted))
        )
    }
    items = []
    for r in rows:
        payload = sent[r["id"]]
        order_id = _str_or_none(payload.get("order_id"))
        if r["stored_digest"] is not None:
            conflict_kind = ConflictKind.MESSAGE_ID
            stored_message: str | None = r["message_id"]
            stored_order = by_message.get(r["message_id"])
        else:
            conflict_kind = ConflictKind.ORDER_ID
            stored_message = message_of_order.get(order_id) if order_id else None
            stored_order = order_id
        site_code: str | None = None
        device_code: str | None = None
        event: str | None = None
        try:
            where_from = parse_topic(r["topic"])
            site_code, device_code, event = where_from.site, where_from.device, where_from.kind
        except ProtocolError:
            pass  # shown without them; the topic itself is in the row
        items.append(ConflictPublic(
            id=r["id"], kind=conflict_kind, reason=r["reason"], site_code=site_code,
            device_code=device_code, type=event, message_id=r["message_id"],
            order_id=order_id, sent_total_cents=_int_or_none(payload.get("total_cents")),
            stored_message_id=stored_message, stored_order_id=stored_order,
            stored_total_cents=totals.get(stored_order) if stored_order else None,
            digest=r["digest"], stored_digest=r["stored_digest"], topic=r["topic"],
            raw_text=bytes(r["raw"][:RAW_TEXT_CHARS]).decode("utf-8", errors="replace"),
            received_at=r["received_at"],
        ))
    return items, int(total)
