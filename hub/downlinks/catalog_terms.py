"""Catalog parts beside dishes: category and station names, coupon templates' terms."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from hub.coupons.templates import rules_coupon
from hub.db_types import utcnow
from hub.downlinks.status import Problems
from hub.models.catalog_names import DishCategory, KitchenStation
from hub.models.coupons import Coupon, CouponStatus, CouponTemplate
from protocol.payloads.offers import CouponTemplate as WireCouponTemplate
from rules.errors import RulesError
from rules.order import Coupon as RulesCoupon

log = logging.getLogger(__name__)


def _complete(
    what: str, rows: list[dict[str, Any]], used: set[str], problems: Problems
) -> list[dict[str, Any]]:
    """The named rows of the codes in use; none at all when one in use has no name."""
    named = {r["code"]: r for r in rows}
    missing = sorted(used - named.keys())
    if missing:
        # The wire wants every code named or none: devices then use their own labels.
        problems.note(what, ", ".join(missing),
                      f"no name in the hub: catalog sent without {what} names")
        return []
    return [named[c] for c in sorted(used, key=lambda c: (named[c].get("sort", 0), c))]


def catalog_names(
    conn: Connection, dishes: list[dict[str, Any]], problems: Problems
) -> dict[str, Any]:
    """``categories`` and ``stations`` of the dishes sent, from dish_category/kitchen_station."""
    cat = DishCategory.__table__.c  # type: ignore[attr-defined]
    sta = KitchenStation.__table__.c  # type: ignore[attr-defined]
    categories = [
        {"code": code, "name_zh": zh, "name_en": en, "sort": sort}
        for code, zh, en, sort in conn.execute(
            sa.select(cat.code, cat.name_zh, cat.name_en, cat.sort_order))
    ]
    stations = [
        {"code": code, "name_zh": zh, "name_en": en}
        for code, zh, en in conn.execute(sa.select(sta.code, sta.name_zh, sta.name_en))
    ]
    return {
        "categories": _complete("categories", categories, {d["category"] for d in dishes},
                                problems),
        "stations": _complete("stations", stations, {d["station"] for d in dishes}, problems),
    }


def wire_coupon(coupon: RulesCoupon, template: CouponTemplate) -> dict[str, Any]:
    """A rules coupon (made from a template) as the catalog's coupon template."""
    return {
        "code": template.code, "name_zh": template.name_zh, "name_en": template.name_en,
        "kind": coupon.kind.value, "amount_cents": coupon.amount_cents,
        "percent_bp": coupon.percent_bp, "max_off_cents": coupon.max_off_cents,
        "dish_id": coupon.dish_id, "min_spend_cents": coupon.min_spend_cents,
        "dish_ids": sorted(coupon.dish_ids), "categories": sorted(coupon.categories),
        "window": {"valid_from": coupon.window.valid_from,
                   "valid_until": coupon.window.valid_until},
    }


def coupon_templates(conn: Connection, problems: Problems) -> list[dict[str, Any]]:
    """Terms of every template a diner may still hold a coupon of, in the wire's shape.

    Active templates, and switched-off ones with issued coupons not yet expired (those stay
    valid, so kiosks must still price them).
    """
    with Session(bind=conn) as session:
        still_held = select(Coupon.template_id).where(
            Coupon.status == CouponStatus.ISSUED.value, col(Coupon.valid_until) > utcnow())
        templates = session.exec(
            select(CouponTemplate)
            .where(col(CouponTemplate.active).is_(True) | col(CouponTemplate.id).in_(still_held))
            .order_by(col(CouponTemplate.code))
        ).all()
        out = []
        for template in templates:
            try:
                item = wire_coupon(rules_coupon(template, code=template.code), template)
                WireCouponTemplate.model_validate(item)
            except (RulesError, ValueError) as err:
                # A kiosk then refuses that template's coupons ("ask at the counter").
                problems.note("coupon_template", template.code, str(err))
                continue
            out.append(item)
    return out
