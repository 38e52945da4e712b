"""Top-up bonus rules ("top up ￥100, get ￥10"): list, create, deactivate; audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit, row_dict
from hub.accounts.ledger import atomic
from hub.errors import ConflictError, NotFoundError
from hub.models.account_rules import TopupBonusRule, TopupBonusRuleCreate


def list_bonus_rules(session: Session) -> Sequence[TopupBonusRule]:
    """Every top-up bonus rule, smallest threshold first."""
    return session.exec(select(TopupBonusRule).order_by(col(TopupBonusRule.min_topup_cents))).all()


def create_bonus_rule(
    session: Session, *, data: TopupBonusRuleCreate, actor: str, at: datetime
) -> TopupBonusRule:
    """Create a bonus rule; 409 on a duplicate code; commits."""
    with atomic(session):
        if session.exec(select(TopupBonusRule).where(TopupBonusRule.code == data.code)).first():
            raise ConflictError(f"bonus rule {data.code!r} already exists")
        rule = TopupBonusRule.model_validate(data)
        session.add(rule)
        session.flush()
        record_audit(session, actor=actor, action="create", entity="topup_bonus_rule",
                     entity_id=str(rule.id), at=at,
                     after=row_dict(rule, exclude=frozenset({"created_at"})))
    session.refresh(rule)
    return rule


def set_bonus_rule_active(
    session: Session, *, rule_id: int, active: bool, actor: str, at: datetime
) -> TopupBonusRule:
    """Switch a bonus rule on or off (rules are never deleted: receipts name them); commits."""
    with atomic(session):
        rule = session.get(TopupBonusRule, rule_id)
        if rule is None:
            raise NotFoundError(f"bonus rule {rule_id} not found")
        before = rule.active
        rule.active = active
        session.add(rule)
        record_audit(session, actor=actor, action="update", entity="topup_bonus_rule",
                     entity_id=str(rule_id), at=at, before={"active": before},
                     after={"active": active})
    session.refresh(rule)
    return rule
