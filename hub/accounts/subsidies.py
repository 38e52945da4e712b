"""Meal subsidies: rules per employer/department and meal, scheduled grants and expiry (补贴清零).

``grant_subsidies(now)`` grants each active rule's current period to every matching member,
once: the lot's source key ``rule:<id>:<period>`` is unique per member, so a second run in
the same period grants nothing. ``expire_subsidies(now)`` takes back what is left of every
lot past its end. Both take the time as an argument (a frozen clock in tests).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hub.accounts import lots
from hub.accounts.audit import record_audit, row_dict
from hub.accounts.ledger import atomic, lock_account, new_operation_id, post
from hub.accounts.points import ExpiryRun, expire_lots
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.account_rules import (
    Cadence,
    SubsidyRule,
    SubsidyRuleCreate,
    SubsidyRuleUpdate,
)
from hub.models.accounts import EntryKind, LedgerLot, LotKind
from hub.models.members import Member

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Period:
    """One grant period of a rule: its key and its [start, end) in UTC."""

    key: str
    start: datetime
    end: datetime


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def current_period(rule: SubsidyRule, now: datetime) -> Period | None:
    """The rule's period containing `now` (site-local days), or None on a day it skips."""
    zone = ZoneInfo(rule.timezone)
    local = now.astimezone(zone).date()
    if rule.cadence == Cadence.MONTHLY:
        first = local.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(
            f"{first:%Y-%m}", _local_midnight(first, zone), _local_midnight(following, zone)
        )
    if str(local.isoweekday()) not in rule.weekdays:
        return None
    return Period(
        local.isoformat(),
        _local_midnight(local, zone),
        _local_midnight(local + timedelta(days=1), zone),
    )


def _source_key(rule_id: int, period: Period) -> str:
    return f"rule:{rule_id}:{period.key}"


def _eligible(session: Session, rule: SubsidyRule) -> Sequence[Member]:
    stmt = select(Member).where(col(Member.active).is_(True), Member.employer == rule.employer)
    if rule.department:
        stmt = stmt.where(Member.department == rule.department)
    return session.exec(stmt.order_by(col(Member.id))).all()


@dataclass(frozen=True, slots=True)
class GrantRun:
    """What a grant run did."""

    rules: int
    grants: int
    amount_cents: int
    already_granted: int


def grant_subsidies(session: Session, *, now: datetime, actor: str = "scheduler") -> GrantRun:
    """Grant every active rule's current period to its members, once per period; commits."""
    grants = amount = already = used_rules = 0
    with atomic(session):
        rules = session.exec(
            select(SubsidyRule).where(col(SubsidyRule.active).is_(True)).order_by(
                col(SubsidyRule.id)
            )
        ).all()
        for rule in rules:
            period = current_period(rule, now)
            if period is None or rule.id is None:
                continue
            used_rules += 1
            key = _source_key(rule.id, period)
            done = set(
                session.exec(
                    select(LedgerLot.member_id).where(
                        LedgerLot.kind == LotKind.SUBSIDY, LedgerLot.source_key == key
                    )
                ).all()
            )
            for member in _eligible(session, rule):
                assert member.id is not None
                if member.id in done:
                    already += 1
                    continue
                account = lock_account(session, member_id=member.id, at=now)
                move = lots.add_lot(
                    session, member_id=member.id, kind=LotKind.SUBSIDY, source_key=key,
                    amount=rule.amount_cents, valid_from=period.start, expires_at=period.end,
                    meal_period=rule.meal_period, entry_kind=EntryKind.GRANT,
                )
                if move is None:
                    already += 1
                    continue
                post(session, account=account, movements=[move], operation_id=new_operation_id(),
                     actor=actor, at=now, reason=f"subsidy {rule.code} {period.key}")
                grants += 1
                amount += rule.amount_cents
        run = GrantRun(
            rules=used_rules, grants=grants, amount_cents=amount, already_granted=already
        )
        if grants:
            record_audit(session, actor=actor, action="subsidy_grant", entity="job",
                         entity_id=now.isoformat(), at=now,
                         after={"grants": grants, "amount_cents": amount})
    log.info("subsidy grant at %s: %s", now.isoformat(), run)
    return run


def expire_subsidies(session: Session, *, now: datetime, actor: str = "scheduler") -> ExpiryRun:
    """Take back what is left of every subsidy lot past its end (补贴清零); idempotent; commits."""
    return expire_lots(session, kind=LotKind.SUBSIDY, now=now, actor=actor)


def _rule_dict(rule: SubsidyRule) -> dict[str, Any]:
    return row_dict(rule, exclude=frozenset({"created_at", "updated_at"}))


def list_rules(session: Session) -> Sequence[SubsidyRule]:
    """Every subsidy rule, by code."""
    return session.exec(select(SubsidyRule).order_by(col(SubsidyRule.code))).all()


def get_rule(session: Session, *, rule_id: int) -> SubsidyRule:
    """One subsidy rule, else 404."""
    rule = session.get(SubsidyRule, rule_id)
    if rule is None:
        raise NotFoundError(f"subsidy rule {rule_id} not found")
    return rule


def create_rule(
    session: Session, *, data: SubsidyRuleCreate, actor: str, at: datetime
) -> SubsidyRule:
    """Create a subsidy rule; 409 on a duplicate code; commits."""
    with atomic(session):
        if session.exec(select(SubsidyRule).where(SubsidyRule.code == data.code)).first():
            raise ConflictError(f"subsidy rule {data.code!r} already exists")
        rule = SubsidyRule.model_validate(data)
        session.add(rule)
        session.flush()
        record_audit(session, actor=actor, action="create", entity="subsidy_rule",
                     entity_id=str(rule.id), at=at, after=_rule_dict(rule))
    session.refresh(rule)
    return rule


def update_rule(
    session: Session, *, rule_id: int, data: SubsidyRuleUpdate, actor: str, at: datetime
) -> SubsidyRule:
    """Change a rule; grants already made keep their amount; commits."""
    changes = data.model_dump(exclude_unset=True)
    for key in ("name_zh", "name_en", "amount_cents", "weekdays", "active"):
        if key in changes and changes[key] is None:
            raise InvalidInputError(f"{key} cannot be null", field=key)
    with atomic(session):
        rule = get_rule(session, rule_id=rule_id)
        before = _rule_dict(rule)
        for key, value in changes.items():
            setattr(rule, key, value)
        rule.updated_at = at
        session.add(rule)
        record_audit(session, actor=actor, action="update", entity="subsidy_rule",
                     entity_id=str(rule_id), at=at, before=before, after=_rule_dict(rule))
    session.refresh(rule)
    return rule


def delete_rule(session: Session, *, rule_id: int, actor: str, at: datetime) -> None:
    """Delete a rule that never granted anything; 409 otherwise (deactivate it instead)."""
    with atomic(session):
        rule = get_rule(session, rule_id=rule_id)
        granted = session.exec(
            select(LedgerLot.id).where(
                LedgerLot.kind == LotKind.SUBSIDY,
                col(LedgerLot.source_key).startswith(f"rule:{rule_id}:"),
            )
        ).first()
        if granted is not None:
            raise ConflictError(
                f"subsidy rule {rule.code!r} has granted subsidies: deactivate it instead"
            )
        record_audit(session, actor=actor, action="delete", entity="subsidy_rule",
                     entity_id=str(rule_id), at=at, before=_rule_dict(rule))
        session.delete(rule)
