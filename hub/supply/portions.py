"""Portions prepared per dish and meal period, set on the hub, and what the hub knows sold.

Sold-out itself is decided on the site (edge_agent.portions: kiosks count down on the site
broker, with or without the hub). The hub keeps what its staff set, publishes it as the
same retained ``portions.prepared`` message a kitchen display would, and shows prepared
against sold from the orders it has ingested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from hub.db_types import utcnow
from hub.errors import InvalidInputError
from hub.models.dishes import Dish
from hub.models.orders import Order, OrderLine
from hub.models.sites import MealPeriod, Site
from hub.models.supply import PortionPlan, PortionsIn
from hub.supply.inventory import site_of
from protocol import Envelope, make_envelope
from protocol.payloads.portions import PortionsPrepared

HUB_DEVICE = "hub"
Publish = Callable[[Envelope], None]


@dataclass(frozen=True)
class PortionRow:
    """A dish's portions for a meal period of a day: prepared, sold (ingested), left."""

    dish_id: int
    code: str
    name_zh: str
    name_en: str
    prepared: int
    sold: int

    @property
    def left(self) -> int:
        """What the hub's orders leave (kiosks may know of sales not ingested yet)."""
        return self.prepared - self.sold


def prepared_envelope(site: Site, plan: PortionPlan, dish: Dish) -> Envelope:
    """The retained portions.prepared the hub publishes for a plan."""
    payload = PortionsPrepared(service_date=plan.service_date.isoformat(),
                               meal_period=plan.meal_period, dish_id=dish.code,
                               prepared=plan.prepared, at=plan.updated_at)
    return make_envelope("portions.prepared", payload, site=site.code, device=HUB_DEVICE)


def set_portions(*, session: Session, data: PortionsIn, actor: str,
                 publish: Publish | None = None) -> tuple[PortionPlan, bool]:
    """Set (or, with ``add``, add to) the portions prepared; publish to the site's kiosks.

    Returns the plan and whether the broker took the message (the plan is kept either
    way; the kitchen display can set it on the site when the hub cannot reach it).
    """
    site = site_of(session, data.site_id)
    dish = session.get(Dish, data.dish_id)
    if dish is None:
        raise InvalidInputError(f"菜品 {data.dish_id} 不存在 / "
                                f"dish {data.dish_id} does not exist", field="dish_id")
    if session.exec(select(MealPeriod).where(MealPeriod.site_id == data.site_id,
                                             MealPeriod.code == data.meal_period)).first() is None:
        raise InvalidInputError(f"食堂 {site.code} 没有餐次 {data.meal_period!r} / "
                                f"site {site.code} has no "
                                f"meal period {data.meal_period!r}",
                                field="meal_period")
    plan = session.exec(select(PortionPlan).where(
        PortionPlan.site_id == data.site_id, PortionPlan.dish_id == data.dish_id,
        PortionPlan.service_date == data.service_date,
        PortionPlan.meal_period == data.meal_period)).first()
    if plan is None:
        plan = PortionPlan(site_id=data.site_id, dish_id=data.dish_id,
                           service_date=data.service_date, meal_period=data.meal_period,
                           prepared=0)
    total = plan.prepared + data.prepared if data.add else data.prepared
    if total > 100_000:
        raise InvalidInputError("超过 100,000 份 / more than 100,000 portions", field="prepared")
    plan.prepared = total
    plan.updated_at = utcnow()
    plan.updated_by = actor[:64]
    session.add(plan)
    session.commit()
    session.refresh(plan)
    published = False
    if publish is not None:
        try:
            publish(prepared_envelope(site, plan, dish))
            published = True
        except Exception:  # the broker is away: the plan stands, the result says so
            published = False
    return plan, published


def _day_bounds(site: Site, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(site.timezone)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    return start, (datetime.combine(day + timedelta(days=1), time(0), zone)).astimezone(UTC)


def sold(conn: Connection, site: Site, day: date, meal_period: str) -> dict[int, int]:
    """Dish id -> portions sold at the site in a meal period of a day (ingested orders)."""
    o, ln = Order.__table__.c, OrderLine.__table__.c  # type: ignore[attr-defined]
    start, end = _day_bounds(site, day)
    rows = conn.execute(
        sa.select(ln.dish_id, sa.func.sum(ln.qty))
        .join_from(OrderLine.__table__, Order.__table__, o.id == ln.order_id)  # type: ignore[attr-defined]
        .where(o.site_id == site.id, o.meal_period == meal_period, o.placed_at >= start,
               o.placed_at < end, ln.dish_id.is_not(None))
        .group_by(ln.dish_id))
    return {int(d): int(n) for d, n in rows}


def status(session: Session, *, site_id: int, day: date, meal_period: str) -> list[PortionRow]:
    """Every dish with portions set for that meal period of that day, prepared vs sold."""
    site = site_of(session, site_id)
    plans = session.exec(select(PortionPlan, Dish).join(Dish).where(
        PortionPlan.site_id == site_id, PortionPlan.service_date == day,
        PortionPlan.meal_period == meal_period).order_by(Dish.code)).all()
    counted = sold(session.connection(), site, day, meal_period)
    return [PortionRow(d.id or 0, d.code, d.name_zh, d.name_en, p.prepared,
                       counted.get(d.id or 0, 0)) for p, d in plans]
