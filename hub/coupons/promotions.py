"""Promotions stored in the shape of ``rules.order`` inputs: member day, spend-save, set prices.

The stacking policy is rules' own (docs/pricing.md, "The stacking policy"); the hub only
stores the inputs and hands them to the kiosk and to re-pricing unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError
from hub.models.coupons import Promotion, PromotionCreate, PromotionKind, PromotionUpdate
from hub.models.sites import Site
from hub.services.common import commit_or_conflict, get_or_404
from rules.errors import RulesError
from rules.order import MemberDay, Promotions, SpendSave, Window

DEFAULT_TIMEZONE = "Asia/Shanghai"  # the Site model's default


@dataclass(frozen=True)
class SitePromotions:
    """What a site's kiosks price with: rules' Promotions plus set-meal price overrides."""

    promotions: Promotions
    set_meal_prices: dict[str, int]


def _window(p: Promotion | PromotionCreate) -> Window:
    return Window(p.valid_from, p.valid_until)


def _check(p: Promotion | PromotionCreate) -> None:
    """Build the rules input once, so a promotion rules would refuse is never stored."""
    try:
        if p.kind == PromotionKind.MEMBER_DAY:
            if p.percent_bp is None:
                raise InvalidInputError("member_day needs percent_bp", field="percent_bp")
            if any(not isinstance(d, int) or not 0 <= d <= 6 for d in p.weekdays):
                raise InvalidInputError("weekdays are 0 (Monday) .. 6 (Sunday)", field="weekdays")
            MemberDay(p.percent_bp, _window(p))
        elif p.kind == PromotionKind.SPEND_SAVE:
            if p.threshold_cents is None or p.save_cents is None:
                raise InvalidInputError(
                    "spend_save needs threshold_cents and save_cents", field="threshold_cents"
                )
            SpendSave(p.code, p.threshold_cents, p.save_cents, p.members_only, _window(p))
        else:
            if not p.set_meal_code or p.price_cents is None:
                raise InvalidInputError(
                    "set_meal_price needs set_meal_code and price_cents", field="set_meal_code"
                )
            _window(p)
    except RulesError as err:
        raise InvalidInputError(str(err), field="kind") from err


def create_promotion(*, session: Session, data: PromotionCreate, actor: str) -> Promotion:
    """Create a promotion; 422 when rules would refuse it, 409 on a duplicate code."""
    _check(data)
    if data.site_id is not None and session.get(Site, data.site_id) is None:
        raise InvalidInputError(f"site {data.site_id} not found", field="site_id")
    if session.exec(select(Promotion).where(Promotion.code == data.code)).first():
        raise ConflictError(f"promotion {data.code!r} already exists")
    row = Promotion.model_validate(data)
    session.add(row)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="promotion.create",
        entity="promotion",
        entity_id=row.id or 0,
        after=data.model_dump(mode="json"),
    )
    commit_or_conflict(session, message=f"promotion {data.code!r} already exists")
    session.refresh(row)
    return row


def update_promotion(
    *, session: Session, promotion_id: int, data: PromotionUpdate, actor: str
) -> Promotion:
    """Change a promotion; checked against rules before anything is written."""
    row = get_or_404(session, Promotion, promotion_id, what="promotion")
    before = row.model_dump(mode="json")
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    candidate = PromotionCreate.model_validate({**before, **changes})
    _check(candidate)
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    record_audit(
        session,
        actor=actor,
        action="promotion.update",
        entity="promotion",
        entity_id=promotion_id,
        before=before,
        after=changes
        and {k: v for k, v in data.model_dump(mode="json", exclude_unset=True).items()},
    )
    commit_or_conflict(session, message="promotion update failed")
    session.refresh(row)
    return row


def delete_promotion(*, session: Session, promotion_id: int, actor: str) -> None:
    """Remove a promotion."""
    row = get_or_404(session, Promotion, promotion_id, what="promotion")
    record_audit(
        session,
        actor=actor,
        action="promotion.delete",
        entity="promotion",
        entity_id=promotion_id,
        before=row.model_dump(mode="json"),
    )
    session.delete(row)
    commit_or_conflict(session, message="promotion delete failed")


def list_promotions(*, session: Session, site_id: int | None = None) -> Sequence[Promotion]:
    """Promotions of a site (and those for every site), by code."""
    stmt = select(Promotion)
    if site_id is not None:
        stmt = stmt.where(
            sa.or_(col(Promotion.site_id).is_(None), col(Promotion.site_id) == site_id)
        )
    return session.exec(stmt.order_by(Promotion.code)).all()


def site_promotions(*, session: Session, site_id: int, now: datetime) -> SitePromotions:
    """The rules inputs of a site's active promotions (member day only on its weekdays).

    A member day's weekday is the site's local weekday (Shanghai's Wednesday starts at
    16:00 UTC on Tuesday), never the UTC one.
    """
    site = session.get(Site, site_id)
    weekday = now.astimezone(ZoneInfo(site.timezone if site else DEFAULT_TIMEZONE)).weekday()
    member_day: MemberDay | None = None
    spend_save: list[SpendSave] = []
    prices: dict[str, int] = {}
    for p in list_promotions(session=session, site_id=site_id):
        if not p.active:
            continue
        if p.kind == PromotionKind.MEMBER_DAY and p.percent_bp is not None:
            if p.weekdays and weekday not in p.weekdays:
                continue
            # rules applies one member day: the best one wins, never two stacked.
            if member_day is None or p.percent_bp > member_day.percent_bp:
                member_day = MemberDay(p.percent_bp, _window(p))
        elif p.kind == PromotionKind.SPEND_SAVE and p.threshold_cents is not None:
            spend_save.append(
                SpendSave(p.code, p.threshold_cents, p.save_cents or 0, p.members_only, _window(p))
            )
        elif p.set_meal_code and p.price_cents is not None and _window(p).contains(now):
            prices[p.set_meal_code] = p.price_cents
    return SitePromotions(Promotions(member_day=member_day, spend_save=tuple(spend_save)), prices)
