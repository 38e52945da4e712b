"""A plausible order history for a site that has none yet (the demo, tests of the lifecycle).

The synthetic canteen of :mod:`models.recommend.synth` (tastes, diets, habits, favourites,
weekly rotation) is mapped onto the site's real catalog and members and written as ordinary
orders, so ``canteen-hub recommend train`` learns from it exactly as from ingested ones.
Breakfast dishes of the generator become dishes of the site's breakfast menu, the others
dishes of its other menus. Nothing is written when the site already has member orders.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.analytics.rollups import add_orders as add_to_rollups
from hub.db_types import utcnow
from hub.downlinks.catalog import build_snapshot
from hub.models.dishes import Dish
from hub.models.members import Member
from hub.models.orders import Order, OrderLine
from hub.models.sites import Site
from models.recommend.data import PERIODS
from models.recommend.synth import generate
from protocol.payloads.catalog import CatalogSnapshot

MAX_MEMBERS = 400


def seed_order_history(engine: Engine, site_code: str, *, days: int = 28, seed: int = 7,
                       now: datetime | None = None) -> int:
    """Write ``days`` days of member orders ending ``now``; the number of orders written."""
    with Session(engine) as session:
        site = session.exec(select(Site).where(Site.code == site_code)).one()
        site_id, tz = int(site.id or 0), ZoneInfo(site.timezone)
        already = session.exec(select(sa.func.count()).select_from(Order).where(
            Order.site_id == site_id, col(Order.member_id).is_not(None))).one()
        if already:
            return 0
        member_ids = list(session.exec(select(Member.id).order_by(col(Member.id))
                                       .limit(MAX_MEMBERS)).all())
        hub_dish = {d.code: d for d in session.exec(select(Dish)).all()}
    catalog = build_snapshot(engine, site_code)[0].payload_as(CatalogSnapshot)
    if not member_ids or not catalog.dishes:
        return 0
    breakfast_menu = {i.dish_id for m in catalog.menus if "breakfast" in m.meal_period
                      for i in m.items}
    morning = [d for d in catalog.dishes if d.id in breakfast_menu] or list(catalog.dishes)
    rest = [d for d in catalog.dishes if d.id not in breakfast_menu] or list(catalog.dishes)
    canteen = generate(seed, members=len(member_ids), days=days,
                       dishes=max(40, len(catalog.dishes)), new_share=0.05)
    counters = {"breakfast": 0, "other": 0}
    mapping = []
    for d in canteen.dishes:
        pool, key = (morning, "breakfast") if d.category == "breakfast" else (rest, "other")
        mapping.append(pool[counters[key] % len(pool)])
        counters[key] += 1
    periods = {p.code: p for p in catalog.meal_periods}
    end = (now or utcnow()).astimezone(tz).date()
    shift = (end - timedelta(days=days)) - canteen.start
    log = canteen.log
    rng = np.random.default_rng(seed)
    orders, lines = [], []
    for o in range(log.n_orders):
        local = (datetime(1970, 1, 1) + timedelta(minutes=round(float(log.time[o]) * 1440))
                 + shift)
        placed = local.replace(tzinfo=tz).astimezone(UTC)
        code = PERIODS[int(log.period[o])]
        period = code if code in periods else next(
            (p.code for p in catalog.meal_periods if p.contains(local.strftime("%H:%M"))), None)
        oid = str(uuid.UUID(bytes=rng.bytes(16), version=4))
        dishes = {mapping[d].id: mapping[d] for d in log.dish[log.indptr[o]:log.indptr[o + 1]]}
        total = sum(d.price_cents for d in dishes.values())
        orders.append({"id": oid, "order_no": f"H{o:06d}", "site_id": site_id,
                       "member_id": member_ids[int(log.member[o])], "placed_at": placed,
                       "meal_period": period, "subtotal_cents": total, "discount_cents": 0,
                       "total_cents": total, "paid": True, "offline": False,
                       "received_at": placed})
        for n, d in enumerate(dishes.values(), start=1):
            row = hub_dish.get(d.id)
            lines.append({"order_id": oid, "line_no": n, "dish_id": row.id if row else None,
                          "dish_code": d.id, "name_zh": d.name_zh, "name_en": d.name_en,
                          "qty": 1, "unit_price_cents": d.price_cents,
                          "line_total_cents": d.price_cents, "station": d.station})
    with engine.begin() as conn:
        conn.execute(sa.insert(Order.__table__), orders)  # type: ignore[attr-defined]
        conn.execute(sa.insert(OrderLine.__table__), lines)  # type: ignore[attr-defined]
        # The dashboard's sales rollups, as ingest keeps them for the orders it stores.
        add_to_rollups(conn, orders, lines, [], {site_id: tz})
    return len(orders)
