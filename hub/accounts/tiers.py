"""Tiers (银卡 / 金卡 / 钻石卡) from rolling spend and visits, recalculated on events and schedule.

A member holds the highest-ranked active tier whose thresholds (spend AND visits over that
tier's rolling window of posted orders) are met; none met means the standard tier. Every
change is written to ``tier_change`` and the audit log. Benefits map onto ``rules.order.Tier``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from hub.accounts.audit import record_audit, row_dict
from hub.accounts.ledger import atomic, lock_account
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.account_rules import TierChange, TierCreate, TierDefinition, TierUpdate
from hub.models.accounts import MemberAccount, OrderPosting
from rules.order import Tier

log = logging.getLogger(__name__)

STANDARD = Tier("standard")


def benefits(tier: TierDefinition | None) -> Tier:
    """The pricing engine's view of a tier (member price allowed, points multiplier)."""
    if tier is None:
        return STANDARD
    return Tier(tier.code, tier.member_price, tier.points_multiplier_pct)


def window_stats(
    session: Session, *, member_id: int, at: datetime, days: int
) -> tuple[int, int]:
    """(spend in fen, visits) of the member's posted orders in the `days` before `at`."""
    since = at - timedelta(days=days)
    spend, visits = session.exec(
        select(func.coalesce(func.sum(OrderPosting.total_cents), 0), func.count()).where(
            OrderPosting.member_id == member_id,
            OrderPosting.placed_at > since,
            OrderPosting.placed_at <= at,
        )
    ).one()
    return int(spend), int(visits)


def evaluate(
    session: Session, *, member_id: int, at: datetime
) -> tuple[TierDefinition | None, int, int]:
    """The tier the member qualifies for at `at`, with the spend and visits that decided it."""
    tiers = session.exec(
        select(TierDefinition)
        .where(col(TierDefinition.active).is_(True))
        .order_by(col(TierDefinition.rank).desc())
    ).all()
    stats: dict[int, tuple[int, int]] = {}
    last = (0, 0)
    for tier in tiers:
        if tier.window_days not in stats:
            stats[tier.window_days] = window_stats(
                session, member_id=member_id, at=at, days=tier.window_days
            )
        spend, visits = last = stats[tier.window_days]
        if spend >= tier.min_spend_cents and visits >= tier.min_visits:
            return tier, spend, visits
    return None, *last


def apply_tier(
    session: Session, *, account: MemberAccount, at: datetime, reason: str, actor: str
) -> TierChange | None:
    """Recalculate a locked account's tier; record a change if there is one (no commit)."""
    tier, spend, visits = evaluate(session, member_id=account.member_id, at=at)
    new_code = None if tier is None else tier.code
    if new_code == account.tier_code:
        return None
    change = TierChange(
        member_id=account.member_id, from_code=account.tier_code, to_code=new_code,
        spend_cents=spend, visits=visits, reason=reason, actor=actor, changed_at=at,
    )
    record_audit(session, actor=actor, action="tier_change", entity="member_account",
                 entity_id=account.member_id, member_id=account.member_id, at=at,
                 before={"tier_code": account.tier_code}, after={"tier_code": new_code},
                 note=f"{reason}: spend {spend} fen, {visits} visits")
    account.tier_code = new_code
    session.add(account)
    session.add(change)
    session.flush()
    return change


def recalculate_tiers(session: Session, *, now: datetime, actor: str = "scheduler") -> int:
    """Scheduled recalculation for every member with an account; returns changes; commits."""
    changed = 0
    with atomic(session):
        ids = session.exec(select(MemberAccount.member_id).order_by(col(MemberAccount.member_id)))
        for member_id in list(ids):
            account = lock_account(session, member_id=member_id, at=now)
            if apply_tier(session, account=account, at=now, reason="schedule", actor=actor):
                changed += 1
    log.info("tier recalculation at %s: %d changes", now.isoformat(), changed)
    return changed


def tier_history(
    session: Session, *, member_id: int, limit: int, offset: int
) -> tuple[Sequence[TierChange], int]:
    """A page of a member's tier changes, newest first."""
    stmt = select(TierChange).where(TierChange.member_id == member_id)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(col(TierChange.id).desc()).limit(limit).offset(offset))
    return rows.all(), int(total)


def _tier_dict(tier: TierDefinition) -> dict[str, Any]:
    return row_dict(tier, exclude=frozenset({"created_at"}))


def list_tiers(session: Session) -> Sequence[TierDefinition]:
    """Every tier definition, lowest rank first."""
    return session.exec(select(TierDefinition).order_by(col(TierDefinition.rank))).all()


def get_tier(session: Session, *, tier_id: int) -> TierDefinition:
    """One tier definition, else 404."""
    tier = session.get(TierDefinition, tier_id)
    if tier is None:
        raise NotFoundError(f"tier {tier_id} not found")
    return tier


def create_tier(session: Session, *, data: TierCreate, actor: str, at: datetime) -> TierDefinition:
    """Define a tier; 409 when its code or rank is taken; commits."""
    with atomic(session):
        clash = select(TierDefinition).where(
            (TierDefinition.code == data.code) | (TierDefinition.rank == data.rank)
        )
        if session.exec(clash).first() is not None:
            raise ConflictError(f"a tier with code {data.code!r} or rank {data.rank} exists")
        tier = TierDefinition.model_validate(data)
        session.add(tier)
        session.flush()
        record_audit(session, actor=actor, action="create", entity="tier",
                     entity_id=str(tier.id), at=at, after=_tier_dict(tier))
    session.refresh(tier)
    return tier


def update_tier(
    session: Session, *, tier_id: int, data: TierUpdate, actor: str, at: datetime
) -> TierDefinition:
    """Change a tier; members move at their next recalculation; commits."""
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None:
            raise InvalidInputError(f"{key} cannot be null", field=key)
    with atomic(session):
        tier = get_tier(session, tier_id=tier_id)
        before = _tier_dict(tier)
        for key, value in changes.items():
            setattr(tier, key, value)
        session.add(tier)
        record_audit(session, actor=actor, action="update", entity="tier",
                     entity_id=str(tier_id), at=at, before=before, after=_tier_dict(tier))
    session.refresh(tier)
    return tier


def delete_tier(session: Session, *, tier_id: int, actor: str, at: datetime) -> None:
    """Delete a tier nobody holds; 409 otherwise (deactivate it, then recalculate)."""
    with atomic(session):
        tier = get_tier(session, tier_id=tier_id)
        held = select(MemberAccount.member_id).where(MemberAccount.tier_code == tier.code)
        if session.exec(held).first() is not None:
            raise ConflictError(f"members hold tier {tier.code!r}: deactivate it instead")
        record_audit(session, actor=actor, action="delete", entity="tier",
                     entity_id=str(tier_id), at=at, before=_tier_dict(tier))
        session.delete(tier)
