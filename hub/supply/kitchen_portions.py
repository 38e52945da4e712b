"""Ingest side of a kitchen display's ``portions.recorded``: portions cooked and left over.

The KDS shows the day's plan (the hub's forecast, never below the bookings, sent down with
the bookings snapshot) and the cook records, per dish of the meal period, how many portions
were cooked and how many were left over. The message travels through the KDS's outbox like
its ``order.state`` events; this handler, in the ingest batch's transaction:

* keeps the newest record per site, day, meal period and dish as the day's prepared
  portions (``portion_plan``, what the Portions page shows against sold; an older record
  arriving late changes nothing);
* books the left-over portions as **overproduction waste** through the dish's recipe
  (per ingredient: left over x quantity per portion), append-only: a later record of the
  same dish books only the difference to what earlier records booked, so the ledger holds
  exactly the newest left-over. A weighed dish (recipe per 100 g) has no portion size to
  book by: its left-over is counted, not booked.

A dish code the hub does not know is skipped and counted (``supply.portions_unknown``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection
from sqlmodel import Session, col, func, select

from hub.models.dishes import Dish
from hub.models.supply import (
    MovementKind,
    PortionPlan,
    RecipeLine,
    StockMovement,
    WasteReason,
)
from protocol.payloads.bookings import PortionsRecorded

if TYPE_CHECKING:
    from hub.ingest.handlers import Stored

log = logging.getLogger(__name__)
NOTE = "kitchen display left-over"


def record_kitchen_portions(conn: Connection, events: Sequence[Stored],
                            counts: Counter[str]) -> None:
    """Each kitchen display's record -> the day's prepared portions and left-over waste."""
    with Session(bind=conn) as session:
        for e in sorted(events, key=lambda e: e.envelope.payload_as(PortionsRecorded).at):
            rec = e.envelope.payload_as(PortionsRecorded)
            site_id = e.device.site_id
            day = date.fromisoformat(rec.service_date)
            codes = [d.dish_id for d in rec.dishes]
            dishes = {d.code: d for d in session.exec(
                select(Dish).where(col(Dish.code).in_(codes))).all()}
            for item in rec.dishes:
                dish = dishes.get(item.dish_id)
                if dish is None or dish.id is None:
                    counts["supply.portions_unknown"] += 1
                    log.warning("portions.recorded from %s: unknown dish %r skipped",
                                e.envelope.device, item.dish_id)
                    continue
                if not _keep_plan(session, site_id, dish.id, day, rec, item.cooked,
                                  f"kds:{e.envelope.device}"):
                    counts["supply.portions_older"] += 1
                    continue
                counts["supply.portions_recorded"] += 1
                if dish.price_per_100g_cents is not None:
                    counts["supply.portions_weighed_left_over"] += item.left_over
                    continue
                _book_left_over(session, site_id, dish.id, day, rec, item.left_over)
        session.flush()


def _keep_plan(session: Session, site_id: int, dish_id: int, day: date,
               rec: PortionsRecorded, cooked: int, by: str) -> bool:
    """Store the record as the day's prepared portions unless a newer one is there."""
    plan = session.exec(select(PortionPlan).where(
        PortionPlan.site_id == site_id, PortionPlan.dish_id == dish_id,
        PortionPlan.service_date == day, PortionPlan.meal_period == rec.meal_period)).first()
    if plan is None:
        plan = PortionPlan(site_id=site_id, dish_id=dish_id, service_date=day,
                           meal_period=rec.meal_period, prepared=cooked)
    elif plan.updated_at is not None and plan.updated_at > rec.at:
        return False
    plan.prepared = cooked
    plan.updated_at = rec.at
    plan.updated_by = by[:64]
    session.add(plan)
    return True


def _book_left_over(session: Session, site_id: int, dish_id: int, day: date,
                    rec: PortionsRecorded, left_over: int) -> None:
    """Waste (overproduction) so that this dish's left-over of the day is ``left_over``."""
    recipe = session.exec(select(RecipeLine).where(RecipeLine.dish_id == dish_id)).all()
    for line in recipe:
        booked = session.exec(select(func.coalesce(func.sum(StockMovement.qty), 0.0)).where(
            StockMovement.site_id == site_id, StockMovement.ingredient_id == line.ingredient_id,
            StockMovement.kind == MovementKind.WASTE, StockMovement.dish_id == dish_id,
            StockMovement.business_date == day, StockMovement.meal_period == rec.meal_period,
            StockMovement.reason == WasteReason.OVERPRODUCTION.value,
            StockMovement.note == NOTE)).one()
        delta = -left_over * line.qty - float(booked)
        if abs(delta) < 1e-9:
            continue
        session.add(StockMovement(
            site_id=site_id, ingredient_id=line.ingredient_id, kind=MovementKind.WASTE,
            qty=delta, at=rec.at, business_date=day, dish_id=dish_id,
            meal_period=rec.meal_period, reason=WasteReason.OVERPRODUCTION.value, note=NOTE))

