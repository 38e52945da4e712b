"""Read side of the ingest path: dead letters page, order counts and money totals."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session

from hub.models import Device, Order, Site
from hub.models.ingest import DeadLetter, DeadLetterPublic, IngestedMessage

_D = DeadLetter.__table__  # type: ignore[attr-defined]
_O = Order.__table__  # type: ignore[attr-defined]
_S = Site.__table__  # type: ignore[attr-defined]
_DEV = Device.__table__  # type: ignore[attr-defined]
_M = IngestedMessage.__table__  # type: ignore[attr-defined]


class GroupBy(StrEnum):
    """How totals are grouped."""

    DEVICE = "device"
    SITE = "site"
    DAY = "day"


class TotalsRow(BaseModel):
    """Orders and money of one group; day is the site-local business day."""

    site: str
    device: str | None = None
    day: str | None = None
    orders: int
    total_cents: int


def dead_letters(
    session: Session, *, reason: str | None, device: str | None, limit: int, offset: int
) -> tuple[list[DeadLetterPublic], int]:
    """Newest first; the raw bytes as text (undecodable bytes replaced)."""
    where = []
    if reason:
        where.append(_D.c.reason == reason)
    if device:
        where.append(_D.c.device_code == device)
    total = session.execute(sa.select(sa.func.count()).select_from(_D).where(*where)).scalar_one()
    rows = session.execute(
        sa.select(_D).where(*where).order_by(_D.c.id.desc()).limit(limit).offset(offset)
    ).mappings()
    items = [
        DeadLetterPublic(**{k: v for k, v in r.items() if k != "raw"},
                         raw_text=bytes(r["raw"][:4096]).decode("utf-8", errors="replace"))
        for r in rows
    ]
    return items, int(total)


def totals(
    session: Session, *, group_by: GroupBy, site: str | None,
    day_from: str | None = None, day_to: str | None = None,
) -> list[TotalsRow]:
    """Order count and sum of total_cents per device, per site, or per site and local day."""
    count, money = sa.func.count(_O.c.id), sa.func.coalesce(sa.func.sum(_O.c.total_cents), 0)
    stmt: sa.Select[tuple[object, ...]]
    if group_by is GroupBy.DEVICE:
        stmt = (sa.select(_S.c.code, _DEV.c.code, count, money)
                .select_from(_O.join(_S, _S.c.id == _O.c.site_id)
                             .join(_DEV, _DEV.c.id == _O.c.device_id))
                .group_by(_S.c.code, _DEV.c.code).order_by(_S.c.code, _DEV.c.code))
    elif group_by is GroupBy.SITE:
        stmt = (sa.select(_S.c.code, count, money)
                .select_from(_O.join(_S, _S.c.id == _O.c.site_id))
                .group_by(_S.c.code).order_by(_S.c.code))
    else:
        # The business day was fixed at ingest in the site's time zone (sync_message).
        day = _M.c.business_day
        stmt = (sa.select(_S.c.code, day, count, money)
                .select_from(_O.join(_S, _S.c.id == _O.c.site_id)
                             .join(_M, _M.c.order_id == _O.c.id))
                .group_by(_S.c.code, day).order_by(_S.c.code, day))
        if day_from:
            stmt = stmt.where(day >= day_from)
        if day_to:
            stmt = stmt.where(day <= day_to)
    if site:
        stmt = stmt.where(_S.c.code == site)
    out = []
    for row in session.execute(stmt):
        if group_by is GroupBy.DEVICE:
            out.append(TotalsRow(site=row[0], device=row[1], orders=row[2], total_cents=row[3]))
        elif group_by is GroupBy.SITE:
            out.append(TotalsRow(site=row[0], orders=row[1], total_cents=row[2]))
        else:
            out.append(TotalsRow(site=row[0], day=row[1], orders=row[2], total_cents=row[3]))
    return out
