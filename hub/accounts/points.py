"""Points: earned per order by tier multiplier, redeemed (checkout discount or gift), expired.

The formulas mirror rules/payment.py, so the hub and the kiosk agree to the point:
earned = base fen x points per yuan x tier multiplier % / 10000, floored; points used to pay
N fen = N x rate.points / rate.cents, rounded up (never a fen for free).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from hub.accounts import lots
from hub.accounts.audit import record_audit
from hub.accounts.errors import InsufficientBalanceError
from hub.accounts.ledger import Movement, atomic, lock_account, new_operation_id, post
from hub.errors import InvalidInputError
from hub.models.accounts import AccountKind, EntryKind, LotKind
from rules.order import PointsRate, Policy

log = logging.getLogger(__name__)

POINTS_VALID_DAYS = 365
DEFAULT_POLICY = Policy()
MAX_REDEEM = 10_000_000


def points_earned(*, base_cents: int, multiplier_pct: int, policy: Policy = DEFAULT_POLICY) -> int:
    """Points for money really paid (paid stored value + counter), as rules/payment.py counts."""
    return base_cents * policy.points_earned_per_yuan * multiplier_pct // (100 * 100)


def points_for_cents(cents: int, rate: PointsRate = DEFAULT_POLICY.points_rate) -> int:
    """How many points paid `cents` at checkout (rounded up, as rules/payment.py does)."""
    return -(-cents * rate.points // rate.cents)


def cents_for_points(points: int, rate: PointsRate = DEFAULT_POLICY.points_rate) -> int:
    """What `points` are worth in fen at checkout (floored: a shortfall is never overstated)."""
    return points * rate.cents // rate.points


def points_movements(
    session: Session,
    *,
    member_id: int,
    points: int,
    at: datetime,
    kind: EntryKind,
    source_key: str,
) -> list[Movement]:
    """Movements for a signed number of points: a new lot, or taken from lots first-to-expire."""
    if points > 0:
        move = lots.add_lot(
            session, member_id=member_id, kind=LotKind.POINTS, source_key=source_key,
            amount=points, valid_from=at, expires_at=at + timedelta(days=POINTS_VALID_DAYS),
            entry_kind=kind,
        )
        return [] if move is None else [move]
    moves, short = lots.take(
        session, member_id=member_id, kind=LotKind.POINTS, amount=-points, at=at, entry_kind=kind
    )
    if short:
        raise InsufficientBalanceError(
            account=AccountKind.POINTS, available=-points - short, wanted=-points
        )
    return moves


def redeem_gift(
    session: Session, *, member_id: int, points: int, gift: str, actor: str, at: datetime
) -> int:
    """Spend points on a gift handed out at the desk; returns the points left; commits."""
    if not 0 < points <= MAX_REDEEM:
        raise InvalidInputError("points to redeem must be positive", field="points")
    if not gift.strip():
        raise InvalidInputError("name the gift", field="gift")
    with atomic(session):
        account = lock_account(session, member_id=member_id, at=at)
        before = account.points
        moves = points_movements(
            session, member_id=member_id, points=-points, at=at, kind=EntryKind.REDEEM,
            source_key="",
        )
        post(session, account=account, movements=moves, operation_id=new_operation_id(),
             actor=actor, at=at, reason=f"gift: {gift}"[:200])
        record_audit(session, actor=actor, action="points_redeem", entity="member_account",
                     entity_id=member_id, member_id=member_id, at=at,
                     before={"points": before}, after={"points": account.points},
                     note=f"gift: {gift}"[:200])
    return account.points


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    """What an expiry run did."""

    lots: int
    members: int
    amount: int


def expire_lots(session: Session, *, kind: LotKind, now: datetime, actor: str) -> ExpiryRun:
    """Expire what is left of every lot of this kind past its date; idempotent; commits."""
    with atomic(session):
        due_now = lots.due_to_expire(session, kind=kind, now=now)
        member_ids = sorted({lot.member_id for lot in due_now})
        total = count = 0
        for member_id in member_ids:
            # Lock first, then re-read the member's lots: a spend may have taken from them.
            account = lock_account(session, member_id=member_id, at=now)
            due = lots.due_to_expire(session, kind=kind, now=now, member_id=member_id)
            account_kind = lots.LOT_ACCOUNT[kind]
            moves = []
            for lot in due:
                moves.append(Movement(account_kind, EntryKind.EXPIRY, -lot.remaining, lot.id))
                lot.remaining = 0
                session.add(lot)
            post(session, account=account, movements=moves, operation_id=new_operation_id(),
                 actor=actor, at=now, reason=f"{kind.value} expired")
            total -= sum(m.amount for m in moves)
            count += len(due)
        run = ExpiryRun(lots=count, members=len(member_ids), amount=total)
        if count:
            record_audit(session, actor=actor, action=f"{kind.value}_expiry", entity="job",
                         entity_id=now.isoformat(), at=now,
                         after={"lots": run.lots, "members": run.members, "amount": run.amount})
    log.info("%s expiry at %s: %s", kind.value, now.isoformat(), run)
    return run


def expire_points(session: Session, *, now: datetime, actor: str = "scheduler") -> ExpiryRun:
    """Expire points lots past their date (scheduled job)."""
    return expire_lots(session, kind=LotKind.POINTS, now=now, actor=actor)
