"""Refunding an order: every source it spent goes back to its own ledger, earned points come back.

What an order spent is read from its own ledger entries (``order_id``): subsidy and
redeemed points per lot, paid and bonus stored value. A refund gives back to each of
those buckets; a partial refund is spread over them with ``rules.money.allocate``
(largest remainder) in proportion to what each still has to give back, so repeated
partial refunds end exactly where one full refund would. Subsidy (or points) going back
to a lot that has already lapsed is written back and lapses again in the same operation
(use it or lose it): the diner does not get expired money, and the ledger shows it.
The points the order earned are taken back in proportion to what has been refunded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hub.accounts import lots
from hub.accounts.audit import record_audit
from hub.accounts.ledger import Movement, atomic, lock_account, new_operation_id, post
from hub.accounts.points import cents_for_points, points_for_cents
from hub.accounts.receipts import Receipt, ReceiptLine, build_receipt, receipt_line
from hub.analytics.rollups import note_refund
from hub.coupons.redeem import restore_for_refund
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry, LedgerLot, LotKind
from hub.models.members import Member
from hub.models.orders import Payment
from rules.money import allocate, format_cents

log = logging.getLogger(__name__)

_SPENDS = (EntryKind.SPEND, EntryKind.REDEEM)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One place an order's money came from: an account, and the lot for subsidy/points."""

    account: AccountKind
    lot_id: int | None
    spent: int  # units of the account: fen, or points
    left: int  # what has not been given back yet, same units

    @property
    def weight(self) -> int:
        """What is left, in fen (points valued at the checkout rate)."""
        return cents_for_points(self.left) if self.account is AccountKind.POINTS else self.left


@dataclass
class RefundResult:
    """What one refund gave back, per source, in fen (points: in points)."""

    amount_cents: int
    given: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    points_taken_back: int = 0
    points_not_recovered: int = 0
    coupons_restored: dict[int, int] = field(default_factory=dict)  # coupon id -> its fen
    coupons_lapsed: dict[int, int] = field(default_factory=dict)  # expired: stays used

    def as_dict(self) -> dict[str, Any]:
        """The audit record's view."""
        found: dict[str, Any] = {
            "amount_cents": self.amount_cents, "given": self.given, "lost": self.lost,
            "points_taken_back": self.points_taken_back,
            "points_not_recovered": self.points_not_recovered,
        }
        if self.coupons_restored or self.coupons_lapsed:  # an order that used a coupon
            found["coupons_restored"] = sorted(self.coupons_restored)
            found["coupons_lapsed"] = sorted(self.coupons_lapsed)
        return found


def buckets_of(entries: Sequence[LedgerEntry]) -> list[Bucket]:
    """Group an order's entries into what it spent and what is left to give back."""
    spent: dict[tuple[AccountKind, int | None], int] = {}
    back: dict[tuple[AccountKind, int | None], int] = {}
    for e in entries:
        key = (AccountKind(e.account), e.lot_id if e.account in ("subsidy", "points") else None)
        if e.kind in _SPENDS and e.amount < 0:
            spent[key] = spent.get(key, 0) - e.amount
        elif e.kind == EntryKind.REFUND and e.amount > 0:
            back[key] = back.get(key, 0) + e.amount
    order = list(AccountKind)
    keys = sorted(spent, key=lambda k: (order.index(k[0]), k[1] or 0))
    return [Bucket(k[0], k[1], spent[k], spent[k] - back.get(k, 0)) for k in keys]


def _give_back(
    session: Session, bucket: Bucket, units: int, at: datetime, result: RefundResult
) -> list[Movement]:
    name = bucket.account.value
    result.given[name] = result.given.get(name, 0) + units
    moves = [Movement(bucket.account, EntryKind.REFUND, units, lot_id=bucket.lot_id)]
    if bucket.lot_id is None:
        return moves
    lot = session.get(LedgerLot, bucket.lot_id, populate_existing=True)
    assert lot is not None  # entries reference it
    if lot.expires_at is not None and lot.expires_at <= at:
        # Use it or lose it: written back to its lot and lapsed again, never to the diner.
        moves.append(Movement(bucket.account, EntryKind.EXPIRY, -units, lot_id=lot.id))
        result.lost[name] = result.lost.get(name, 0) + units
    else:
        lot.remaining += units
        session.add(lot)
    return moves


def _take_back_points(
    session: Session, *, member_id: int, order_id: str, owed: int, at: datetime
) -> tuple[list[Movement], int]:
    """Take `owed` points back, from the order's own lot first; moves and what could not be."""
    moves: list[Movement] = []
    own = session.exec(
        select(LedgerLot).where(
            LedgerLot.member_id == member_id, LedgerLot.kind == LotKind.POINTS,
            LedgerLot.source_key == f"order:{order_id}",
        ).execution_options(populate_existing=True)
    ).first()
    if own is not None and own.remaining > 0 and (own.expires_at is None or own.expires_at > at):
        part = min(owed, own.remaining)
        own.remaining -= part
        session.add(own)
        moves.append(Movement(AccountKind.POINTS, EntryKind.REFUND, -part, lot_id=own.id))
        owed -= part
    if owed:
        more, owed = lots.take(session, member_id=member_id, kind=LotKind.POINTS, amount=owed,
                               at=at, entry_kind=EntryKind.REFUND)
        moves += more
    return moves, owed


def _points_owed(entries: Sequence[LedgerEntry], *, original: int, left_after: int) -> int:
    """Earned points to claw back now: in proportion to the part of the order refunded."""
    earned = sum(e.amount for e in entries if e.kind == EntryKind.EARN)
    taken = -sum(
        e.amount for e in entries
        if e.account == AccountKind.POINTS and e.kind == EntryKind.REFUND and e.amount < 0
    )
    target = earned if left_after == 0 else earned * (original - left_after) // original
    return max(target - taken, 0)


def refund_order(
    session: Session,
    *,
    order_id: str,
    reason: str,
    actor: str,
    at: datetime,
    amount_cents: int | None = None,
) -> Receipt:
    """Give back what an order spent, each source to its own ledger (all, or a share); commits."""
    if not reason.strip():
        raise InvalidInputError("a refund needs a reason", field="reason")
    if amount_cents is not None and amount_cents <= 0:
        raise InvalidInputError("refund amount must be positive", field="amount_cents")
    with atomic(session):
        entries = session.exec(
            select(LedgerEntry).where(LedgerEntry.order_id == order_id)
            .order_by(col(LedgerEntry.id))
        ).all()
        buckets = buckets_of(entries)
        if not buckets:
            raise NotFoundError(f"order {order_id} paid nothing from the member's balances")
        member_id = entries[0].member_id
        refundable = sum(b.weight for b in buckets)
        wanted = refundable if amount_cents is None else amount_cents
        if refundable <= 0 or wanted > refundable:
            raise ConflictError(
                f"order {order_id}: only {format_cents(max(refundable, 0))} left to refund, "
                f"{format_cents(wanted)} asked"
            )
        account = lock_account(session, member_id=member_id, at=at)
        from hub.accounts.stored_value import snapshot

        before = snapshot(account)
        result = RefundResult(amount_cents=wanted)
        parts = allocate(wanted, [b.weight for b in buckets])
        moves: list[Movement] = []
        for bucket, part in zip(buckets, parts, strict=True):
            units = part
            if bucket.account is AccountKind.POINTS:
                units = bucket.left if part == bucket.weight else min(bucket.left,
                                                                      points_for_cents(part))
            if units:
                moves += _give_back(session, bucket, units, at, result)
        original = sum(b.weight for b in
                       (Bucket(b.account, b.lot_id, b.spent, b.spent) for b in buckets))
        owed = _points_owed(entries, original=original, left_after=refundable - wanted)
        if owed:
            taken, short = _take_back_points(session, member_id=member_id, order_id=order_id,
                                             owed=owed, at=at)
            moves += taken
            result.points_taken_back, result.points_not_recovered = owed - short, short
        if refundable == wanted:
            # Nothing left to refund: the order is undone, its coupons go back if valid.
            _coupons_back(session, order_id=order_id, at=at, actor=actor, result=result)
        op = new_operation_id()
        post(session, account=account, movements=moves, operation_id=op, actor=actor, at=at,
             order_id=order_id, reason=reason[:200])
        # The dashboard's sales rollups: what went back, on the order's day (same transaction).
        note_refund(session.connection(), order_id=order_id,
                    given=[(m.account, m.amount) for m in moves
                           if m.kind is EntryKind.REFUND and m.amount > 0])
        record_audit(session, actor=actor, action="refund", entity="member_account",
                     entity_id=member_id, member_id=member_id, at=at, before=before,
                     after={**snapshot(account), "refund": result.as_dict()},
                     note=f"order {order_id}: {reason}"[:200])
        member = session.get(Member, member_id)
        assert member is not None
        receipt = build_receipt(
            receipt_no=op, title=("退款凭条", "Refund receipt"), member_id=member_id,
            member_no=member.member_no, member_name=member.name, at=at, actor=actor,
            lines=_lines(result), paid_balance_cents=account.paid_cents,
            bonus_balance_cents=account.bonus_cents,
        )
    log.info("refund order=%s %s", order_id, result.as_dict())
    return receipt


def _coupons_back(session: Session, *, order_id: str, at: datetime, actor: str,
                  result: RefundResult) -> None:
    back = restore_for_refund(session, order_id=order_id, at=at, actor=actor)
    if not back:
        return
    paid = {ref: cents for ref, cents in session.exec(
        select(Payment.reference, Payment.amount_cents).where(
            Payment.order_id == order_id, Payment.method == "coupon")).all()}
    for coupon in back:
        cents = paid.get(str(coupon.coupon_id), 0)
        if coupon.restored:
            result.coupons_restored[coupon.coupon_id] = cents
        else:
            result.coupons_lapsed[coupon.coupon_id] = cents


_LABELS = {
    "subsidy": ("退回餐补", "Subsidy back"),
    "points": ("退回积分抵扣", "Points back"),
    "paid": ("退回储值", "Stored value back"),
    "bonus": ("退回赠送", "Bonus back"),
}


def _lines(result: RefundResult) -> list[ReceiptLine]:
    lines = [receipt_line("退款", "Refund", result.amount_cents)]
    for name, (zh, en) in _LABELS.items():
        units = result.given.get(name, 0)
        if units:
            cents = cents_for_points(units) if name == "points" else units
            lines.append(receipt_line(zh, en, cents))
    lost = result.lost.get("subsidy", 0)
    if lost:
        lines.append(receipt_line("餐补已过期作废", "Subsidy lapsed, not returned", lost))
    for cents in result.coupons_restored.values():
        lines.append(receipt_line("优惠券已退回", "Coupon returned to the wallet", cents))
    for cents in result.coupons_lapsed.values():
        lines.append(receipt_line("优惠券已过期，不退回", "Coupon expired, not returned", cents))
    return lines
