"""Coupon templates: create, list, change, and their mapping onto ``rules.order.Coupon``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from hub.accounts.audit import record_audit
from hub.errors import ConflictError, InvalidInputError
from hub.models.coupons import Coupon, CouponTemplate, CouponTemplateCreate
from hub.services.common import commit_or_conflict, get_or_404
from rules.errors import RulesError
from rules.order import Coupon as RulesCoupon
from rules.order import CouponKind, Window


def rules_coupon(
    template: CouponTemplate,
    *,
    code: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> RulesCoupon:
    """The pricing engine's coupon input for a template (and a coupon's validity window)."""
    return RulesCoupon(
        code=code,
        kind=CouponKind(template.kind),
        amount_cents=template.amount_cents,
        percent_bp=template.percent_bp,
        max_off_cents=template.max_off_cents,
        dish_id=template.dish_code,
        min_spend_cents=template.min_spend_cents,
        dish_ids=frozenset(template.dish_codes),
        categories=frozenset(template.categories),
        window=Window(valid_from, valid_until),
    )


def coupon_input(session: Session, *, coupon: Coupon) -> RulesCoupon:
    """The pricing engine's input for one issued coupon."""
    template = get_or_404(session, CouponTemplate, coupon.template_id, what="coupon template")
    return rules_coupon(
        template, code=str(coupon.id), valid_from=coupon.valid_from, valid_until=coupon.valid_until
    )


def create_template(*, session: Session, data: CouponTemplateCreate, actor: str) -> CouponTemplate:
    """Create a template; refused (422) when rules would refuse the coupon it makes."""
    template = CouponTemplate.model_validate(data)
    try:
        rules_coupon(template, code=template.code)
    except RulesError as err:
        raise InvalidInputError(str(err), field="kind") from err
    if session.exec(select(CouponTemplate).where(CouponTemplate.code == data.code)).first():
        raise ConflictError(f"coupon template {data.code!r} already exists")
    session.add(template)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="coupon_template.create",
        entity="coupon_template",
        entity_id=template.id or 0,
        after=data.model_dump(mode="json"),
    )
    commit_or_conflict(session, message=f"coupon template {data.code!r} already exists")
    session.refresh(template)
    return template


def set_template_active(
    *, session: Session, template_id: int, active: bool, actor: str
) -> CouponTemplate:
    """Switch a template on or off (issued coupons stay valid)."""
    template = get_or_404(session, CouponTemplate, template_id, what="coupon template")
    before = template.active
    template.active = active
    session.add(template)
    record_audit(
        session,
        actor=actor,
        action="coupon_template.active",
        entity="coupon_template",
        entity_id=template_id,
        before={"active": before},
        after={"active": active},
    )
    commit_or_conflict(session, message="template update failed")
    session.refresh(template)
    return template


def list_templates(*, session: Session) -> Sequence[CouponTemplate]:
    """Every template, by code."""
    return session.exec(select(CouponTemplate).order_by(CouponTemplate.code)).all()
