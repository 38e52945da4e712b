"""Back-flush: an ingested order's dishes take their ingredients out of the site's stock.

Runs as an ``order.placed`` handler inside the ingest batch's transaction (so the order
and what it consumed commit together, and a redelivered order consumes nothing twice),
set-based: one query for the recipes of every dish in the batch, one for the sites' time
zones, and one multi-row INSERT of consumption movements aggregated per site, business
date, meal period, dish and ingredient. Only append-only rows are written, no shared row
is updated, so concurrent workers take no lock on each other (issue 20's lock order
does not come into it). Which lot each consumption used is decided when stock is read
(first in, first out: ``hub.supply.stock``). bench/supply_backflush.py measures its cost.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.models.dishes import Dish
from hub.models.sites import Site
from hub.models.supply import MovementKind, RecipeLine, StockMovement
from hub.supply.recipes import line_factor
from protocol import OrderPlaced

T_MOVE = StockMovement.__table__  # type: ignore[attr-defined]
T_DISH = Dish.__table__  # type: ignore[attr-defined]
T_RECIPE = RecipeLine.__table__  # type: ignore[attr-defined]
T_SITE = Site.__table__  # type: ignore[attr-defined]

Key = tuple[int, int, date, str, int]  # site, ingredient, business date, meal period, dish


def consumption_rows(conn: Connection, orders: Sequence[tuple[int, OrderPlaced]]) -> list[
        dict[str, Any]]:
    """The consumption movements of these (site id, order) pairs, aggregated (no writes)."""
    codes = {line.dish_id for _, o in orders for line in o.lines}
    if not codes:
        return []
    recipes: dict[str, tuple[int, bool, list[tuple[int, float]]]] = {}
    for code, dish_id, per_100g, ingredient_id, qty in conn.execute(
        sa.select(T_DISH.c.code, T_DISH.c.id, T_DISH.c.price_per_100g_cents,
                  T_RECIPE.c.ingredient_id, T_RECIPE.c.qty)
        .join_from(T_DISH, T_RECIPE, T_RECIPE.c.dish_id == T_DISH.c.id)
        .where(T_DISH.c.code.in_(sorted(codes)))
    ):
        recipes.setdefault(code, (dish_id, per_100g is not None, []))[2].append(
            (ingredient_id, float(qty)))
    if not recipes:
        return []  # no dish of the batch has a recipe: one query was all it cost
    zones = {sid: ZoneInfo(tz) for sid, tz in conn.execute(
        sa.select(T_SITE.c.id, T_SITE.c.timezone)
        .where(T_SITE.c.id.in_(sorted({s for s, _ in orders}))))}
    used: dict[Key, float] = defaultdict(float)
    last: dict[Key, datetime] = {}
    for site_id, order in orders:
        day = order.placed_at.astimezone(zones[site_id]).date()
        for line in order.lines:
            recipe = recipes.get(line.dish_id)
            if recipe is None:
                continue
            dish_id, weighed, lines = recipe
            factor = line_factor(weighed=weighed, qty=line.qty, weight_g=line.weight_g)
            for ingredient_id, qty in lines:
                key = (site_id, ingredient_id, day, order.meal_period, dish_id)
                used[key] += factor * qty
                if key not in last or last[key] < order.placed_at:
                    last[key] = order.placed_at
    return [
        {"site_id": s, "ingredient_id": i, "kind": MovementKind.CONSUMPTION.value,
         "qty": -q, "at": last[(s, i, d, p, dish)], "business_date": d, "lot_id": None,
         "dish_id": dish, "meal_period": p, "reason": None, "note": ""}
        for (s, i, d, p, dish), q in sorted(used.items()) if q > 0
    ]


def backflush(conn: Connection, events: Sequence[Any], counts: Counter[str]) -> None:
    """Ingest handler: the batch's new orders consume their recipes' ingredients."""
    orders = [(e.device.site_id, e.envelope.payload_as(OrderPlaced)) for e in events]
    rows = consumption_rows(conn, orders)
    if rows:
        conn.execute(T_MOVE.insert(), rows)
        counts["supply.consumption_rows"] += len(rows)
