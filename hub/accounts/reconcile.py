"""Posting the money of ingested orders, online or offline, and following up overdrafts.

``post_order_payments`` runs inside the ingest worker's batch transaction: it flushes and
never commits, and it is idempotent on the order id. Each source is taken from the
member's authoritative balances in the one payment order (subsidy -> points -> stored
value paid -> bonus). Offline, the paid balance may go below zero down to the member's
offline limit. Whatever is still not covered (the kiosk's cache was stale: two kiosks
spent the same balance offline, a subsidy lapsed before the order arrived) is never
charged elsewhere nor dropped: it is written to ``overdraft_flag`` for a manager.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, func, select

from hub.accounts import lots
from hub.accounts.audit import record_audit
from hub.accounts.ledger import Movement, atomic, floor_of, lock_account, post
from hub.accounts.points import cents_for_points, points_earned, points_for_cents, points_movements
from hub.accounts.tiers import apply_tier, benefits
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.account_rules import TierDefinition
from hub.models.accounts import (
    AccountKind,
    EntryKind,
    LotKind,
    MemberAccount,
    OrderPosting,
    OverdraftFlag,
    OverdraftStatus,
)
from hub.models.members import Member

log = logging.getLogger(__name__)

# "booking" (1.1): a pre-booking's pick-up; noted, charged by hub.supply.booking_pickups.
METHODS = frozenset({"subsidy", "coupon", "points", "stored_value", "counter", "booking"})


class PaymentLike(Protocol):
    """A share of an order's total: protocol's ``Payment`` fits as it is."""

    @property
    def method(self) -> str:
        """subsidy, coupon, points, stored_value or counter."""

    @property
    def amount_cents(self) -> int:
        """The share in fen."""


@dataclass(frozen=True, slots=True)
class PostingResult:
    """What posting an order did: status posted | duplicate | conflict | unknown_member."""

    order_id: str
    status: str
    points_earned: int = 0
    points_used: int = 0
    overdraft_id: int | None = None
    tier_changed_to: str | None = None


def _totals(payments: Sequence[PaymentLike]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for p in payments:
        if p.method not in METHODS or p.amount_cents < 0:
            bad = f"bad payment {p.method!r} {p.amount_cents!r}"
            raise InvalidInputError(bad, field="payments")
        totals[p.method] = totals.get(p.method, 0) + p.amount_cents
    return {k: v for k, v in sorted(totals.items()) if v}


def _stored_value(account: MemberAccount, wanted: int, offline: bool) -> tuple[list[Movement], int]:
    """Paid balance first, then bonus, then (offline) paid below zero down to the limit."""
    from_paid = min(wanted, max(account.paid_cents, 0))
    from_bonus = min(wanted - from_paid, account.bonus_cents)
    rest = wanted - from_paid - from_bonus
    floor = floor_of(account, AccountKind.PAID, overdraft=offline)
    overdraw = min(rest, max(account.paid_cents - from_paid - floor, 0))
    moves = [
        Movement(AccountKind.PAID, EntryKind.SPEND, -(from_paid + overdraw)),
        Movement(AccountKind.BONUS, EntryKind.SPEND, -from_bonus),
    ]
    return moves, rest - overdraw


def post_order_payments(
    session: Session,
    *,
    order_id: str,
    member_id: int,
    payments: Sequence[PaymentLike],
    offline: bool,
    placed_at: datetime,
    total_cents: int,
    meal_period: str | None = None,
    actor: str = "ingest",
    now: datetime | None = None,
) -> PostingResult:
    """Post an order's subsidy, points and stored value, earn points, re-tier; flush, no commit."""
    totals = _totals(payments)
    existing = session.get(OrderPosting, order_id)
    if existing is not None:
        same = existing.member_id == member_id and existing.payments == totals
        if not same:
            log.warning("order %s re-posted with different member or payments", order_id)
        return PostingResult(
            order_id, "duplicate" if same else "conflict", points_earned=existing.points_earned
        )
    if session.get(Member, member_id) is None:
        return PostingResult(order_id, "unknown_member")
    at = now or placed_at
    account = lock_account(session, member_id=member_id, at=at)
    moves: list[Movement] = []
    short: dict[str, int] = {}
    subsidy, left = lots.take(
        session, member_id=member_id, kind=LotKind.SUBSIDY, amount=totals.get("subsidy", 0),
        at=placed_at, entry_kind=EntryKind.SPEND, meal_period=meal_period,
    )
    moves += subsidy
    short["subsidy"] = left
    points_used = points_for_cents(totals.get("points", 0))
    points, left = lots.take(
        session, member_id=member_id, kind=LotKind.POINTS, amount=points_used, at=placed_at,
        entry_kind=EntryKind.REDEEM,
    )
    moves += points
    short["points"] = left
    stored, left = _stored_value(account, totals.get("stored_value", 0), offline)
    moves += stored
    short["stored_value"] = left
    # Points are earned on money really paid: paid stored value and the counter.
    tier = session.exec(
        select(TierDefinition).where(TierDefinition.code == account.tier_code)
    ).first()
    base = -stored[0].amount + totals.get("counter", 0)
    earned = points_earned(base_cents=base, multiplier_pct=benefits(tier).points_multiplier_pct)
    if earned:
        moves += points_movements(
            session, member_id=member_id, points=earned, at=placed_at, kind=EntryKind.EARN,
            source_key=f"order:{order_id}",
        )
    post(session, account=account, movements=moves, operation_id=order_id, actor=actor, at=at,
         order_id=order_id, overdraft=offline)
    session.add(
        OrderPosting(order_id=order_id, member_id=member_id, total_cents=total_cents,
                     payments=totals, offline=offline, points_earned=earned, placed_at=placed_at)
    )
    flag_id = _flag(session, account, order_id, totals, short, offline, placed_at, at)
    change = apply_tier(session, account=account, at=at, reason="event", actor=actor)
    session.flush()
    return PostingResult(
        order_id, "posted", points_earned=earned, points_used=points_used - short["points"],
        overdraft_id=flag_id, tier_changed_to=None if change is None else change.to_code,
    )


def _flag(
    session: Session,
    account: MemberAccount,
    order_id: str,
    totals: dict[str, int],
    short: dict[str, int],
    offline: bool,
    placed_at: datetime,
    at: datetime,
) -> int | None:
    if not any(short.values()):
        return None
    shortfall = {k: v for k, v in short.items() if v}
    cents = short["subsidy"] + short["stored_value"] + cents_for_points(short["points"])
    flag = OverdraftFlag(
        member_id=account.member_id, order_id=order_id,
        requested_cents=totals.get("subsidy", 0) + totals.get("points", 0)
        + totals.get("stored_value", 0),
        uncollected_cents=cents, shortfall=shortfall, offline=offline, placed_at=placed_at,
        created_at=at,
    )
    session.add(flag)
    session.flush()
    log.warning("order %s: not covered %s, flagged #%s", order_id, shortfall, flag.id)
    return flag.id


def list_overdrafts(
    session: Session, *, status: OverdraftStatus | None, limit: int, offset: int
) -> tuple[Sequence[OverdraftFlag], int]:
    """A page of overdraft flags, newest first."""
    stmt = select(OverdraftFlag)
    if status is not None:
        stmt = stmt.where(OverdraftFlag.status == status)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(col(OverdraftFlag.id).desc()).limit(limit).offset(offset))
    return rows.all(), int(total)


def resolve_overdraft(
    session: Session, *, flag_id: int, note: str, actor: str, at: datetime
) -> OverdraftFlag:
    """Close a flag with what was done about it (collected at the counter, written off...)."""
    if not note.strip():
        raise InvalidInputError("say how the overdraft was settled", field="note")
    with atomic(session):
        flag = session.get(OverdraftFlag, flag_id)
        if flag is None:
            raise NotFoundError(f"overdraft {flag_id} not found")
        if flag.status == OverdraftStatus.RESOLVED:
            raise ConflictError(f"overdraft {flag_id} was already resolved by {flag.resolved_by}")
        flag.status = OverdraftStatus.RESOLVED
        flag.resolved_by = actor
        flag.resolved_at = at
        flag.resolution_note = note[:200]
        session.add(flag)
        record_audit(session, actor=actor, action="overdraft_resolve", entity="overdraft",
                     entity_id=flag_id, member_id=flag.member_id, at=at,
                     before={"status": "open"}, after={"status": "resolved"}, note=note)
    session.refresh(flag)
    return flag
