"""Lots of subsidy and points: added with their own expiry, taken first-to-expire, expired whole.

The cached subsidy (points) balance equals the sum of what remains in the member's subsidy
(points) lots; each movement on those accounts names the lot it touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.accounts.ledger import Movement
from hub.models.accounts import AccountKind, EntryKind, LedgerLot, LotKind

LOT_ACCOUNT: dict[LotKind, AccountKind] = {
    LotKind.SUBSIDY: AccountKind.SUBSIDY,
    LotKind.POINTS: AccountKind.POINTS,
}


def add_lot(
    session: Session,
    *,
    member_id: int,
    kind: LotKind,
    source_key: str,
    amount: int,
    valid_from: datetime,
    expires_at: datetime | None,
    meal_period: str | None = None,
    entry_kind: EntryKind,
) -> Movement | None:
    """Add a lot unless one with this source key exists; the movement to post, else None."""
    exists = session.exec(
        select(LedgerLot.id).where(
            LedgerLot.member_id == member_id,
            LedgerLot.kind == kind,
            LedgerLot.source_key == source_key,
        )
    ).first()
    if exists is not None:
        return None
    lot = LedgerLot(
        member_id=member_id,
        kind=kind,
        source_key=source_key,
        meal_period=meal_period,
        amount=amount,
        remaining=amount,
        valid_from=valid_from,
        expires_at=expires_at,
    )
    session.add(lot)
    session.flush()
    return Movement(LOT_ACCOUNT[kind], entry_kind, amount, lot_id=lot.id)


def usable_lots(
    session: Session,
    *,
    member_id: int,
    kind: LotKind,
    at: datetime,
    meal_period: str | None = None,
) -> Sequence[LedgerLot]:
    """Lots with something left that may be spent at `at` (for this meal), first-to-expire first."""
    stmt = select(LedgerLot).where(
        LedgerLot.member_id == member_id,
        LedgerLot.kind == kind,
        LedgerLot.remaining > 0,
        LedgerLot.valid_from <= at,
        sa.or_(col(LedgerLot.expires_at).is_(None), col(LedgerLot.expires_at) > at),
    )
    if kind is LotKind.SUBSIDY:
        # A lot for one meal period serves only that meal; a lot without one serves any.
        stmt = stmt.where(
            sa.or_(col(LedgerLot.meal_period).is_(None), col(LedgerLot.meal_period) == meal_period)
        )
    # NULLs (never expire) last on both backends: order by "is null" first.
    order = (col(LedgerLot.expires_at).is_(None), col(LedgerLot.expires_at), col(LedgerLot.id))
    stmt = stmt.order_by(*order).execution_options(populate_existing=True)
    return session.exec(stmt).all()


def available(
    session: Session,
    *,
    member_id: int,
    kind: LotKind,
    at: datetime,
    meal_period: str | None = None,
) -> int:
    """What the usable lots hold together."""
    lots = usable_lots(session, member_id=member_id, kind=kind, at=at, meal_period=meal_period)
    return sum(lot.remaining for lot in lots)


def take(
    session: Session,
    *,
    member_id: int,
    kind: LotKind,
    amount: int,
    at: datetime,
    entry_kind: EntryKind,
    meal_period: str | None = None,
) -> tuple[list[Movement], int]:
    """Take up to `amount` from the usable lots; the movements and the part not covered."""
    left = amount
    moves: list[Movement] = []
    for lot in usable_lots(session, member_id=member_id, kind=kind, at=at, meal_period=meal_period):
        if left == 0:
            break
        part = min(left, lot.remaining)
        lot.remaining -= part
        session.add(lot)
        moves.append(Movement(LOT_ACCOUNT[kind], entry_kind, -part, lot_id=lot.id))
        left -= part
    return moves, left


def due_to_expire(
    session: Session, *, kind: LotKind, now: datetime, member_id: int | None = None
) -> Sequence[LedgerLot]:
    """Lots whose expiry has passed and that still hold something (of one member if given)."""
    stmt = select(LedgerLot).where(
        LedgerLot.kind == kind,
        LedgerLot.remaining > 0,
        col(LedgerLot.expires_at).is_not(None),
        col(LedgerLot.expires_at) <= now,
    )
    if member_id is not None:
        stmt = stmt.where(LedgerLot.member_id == member_id)
    stmt = stmt.execution_options(populate_existing=True)
    return session.exec(stmt.order_by(col(LedgerLot.member_id), col(LedgerLot.id))).all()
