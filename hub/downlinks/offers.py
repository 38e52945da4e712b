"""The catalog's ``offers``: a site's promotions, member tiers and points rate, wire-shaped."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from hub.accounts.points import DEFAULT_POLICY
from hub.coupons.promotions import site_promotions
from hub.db_types import utcnow
from hub.downlinks.status import Problems, first_error
from hub.models.account_rules import TierDefinition
from protocol.fields import WireModel
from protocol.payloads.offers import Offers, SpendSave, TierBenefit
from rules.order import Window

log = logging.getLogger(__name__)


def _window(w: Window) -> dict[str, Any]:
    return {"valid_from": w.valid_from, "valid_until": w.valid_until}


def site_offers(conn: Connection, site_id: int, problems: Problems) -> dict[str, Any]:
    """What the site's kiosks price with besides dish prices, as plain wire data."""
    with Session(bind=conn) as session:
        promos = site_promotions(session=session, site_id=site_id, now=utcnow()).promotions
        tiers = session.exec(
            select(TierDefinition).where(col(TierDefinition.active).is_(True))
            .order_by(col(TierDefinition.rank))
        ).all()
    rate = DEFAULT_POLICY.points_rate
    offers: dict[str, Any] = {
        "member_day": None if promos.member_day is None else {
            "percent_bp": promos.member_day.percent_bp,
            "window": _window(promos.member_day.window)},
        "spend_save": _fitting(SpendSave, problems, [
            {"code": s.code, "threshold_cents": s.threshold_cents, "save_cents": s.save_cents,
             "members_only": s.members_only, "window": _window(s.window)}
            for s in promos.spend_save]),
        "tiers": _fitting(TierBenefit, problems, [
            {"code": t.code, "name_zh": t.name_zh, "name_en": t.name_en,
             "member_price": t.member_price, "points_multiplier_pct": t.points_multiplier_pct}
            for t in tiers]),
        "points_rate": {"points": rate.points, "cents": rate.cents},
    }
    try:
        Offers.model_validate(offers)
    except ValidationError as err:
        # Prices still go out: a kiosk without offers charges list prices, never less.
        problems.note("offers", "", f"sent without offers: {first_error(err)}")
        return Offers().model_dump(mode="json")
    return offers


def _fitting(
    model: type[WireModel], problems: Problems, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The items the wire accepts; each other one is left out with a warning naming it."""
    out = []
    for item in items:
        try:
            model.model_validate(item)
        except ValidationError as err:
            # Rows written before the API checked wire codes, or straight into the database.
            problems.note(model.__name__, item.get("code"), first_error(err))
            continue
        out.append(item)
    return out
