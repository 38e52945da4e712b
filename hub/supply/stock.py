"""Reading the stock ledger: on hand, lots first in first out, alerts, traceability, origins.

The ledger (``stock_movement``) is append-only; which lot each outflow used is decided
here by replaying a site's lots and movements in time order: an outflow takes from the
lot it names (waste of a known lot), else from the oldest lot still holding some (FIFO).
A count that finds more than the ledger adds an unnamed lot; an outflow with no lot left
is recorded against none (stock went negative: a receipt was not entered).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.models.dishes import Dish
from hub.models.menus import Menu, MenuItem
from hub.models.supply import (
    GoodsReceipt,
    Ingredient,
    MovementKind,
    RecipeLine,
    StockLot,
    StockMovement,
    Supplier,
    SupplySite,
)

EXPIRY_WARN_DAYS = 2
"""A lot that expires within this many days (and still holds stock) raises an alert."""
EPS = 1e-9

T_MOVE = StockMovement.__table__  # type: ignore[attr-defined]
T_LOT = StockLot.__table__  # type: ignore[attr-defined]
T_ING = Ingredient.__table__  # type: ignore[attr-defined]
T_SUP = Supplier.__table__  # type: ignore[attr-defined]
T_REC = GoodsReceipt.__table__  # type: ignore[attr-defined]


def _cols(model: Any) -> Any:
    return model.__table__.c


def on_hand(conn: Connection, site_id: int) -> dict[int, float]:
    """Ingredient id -> quantity on hand at the site (the ledger's sum)."""
    return {i: float(q) for i, q in conn.execute(
        sa.select(T_MOVE.c.ingredient_id, sa.func.sum(T_MOVE.c.qty))
        .where(T_MOVE.c.site_id == site_id).group_by(T_MOVE.c.ingredient_id))}


@dataclass
class Replay:
    """What the FIFO replay found: each lot's remainder and each outflow's lots."""

    remaining: dict[int, float] = field(default_factory=dict)  # lot id -> qty left
    # movement id -> [(lot id or None, qty taken)]
    taken: dict[int, list[tuple[int | None, float]]] = field(default_factory=dict)
    head: dict[int, int] = field(default_factory=dict)  # ingredient -> lot in use now


def replay(conn: Connection, site_id: int, ingredient_ids: Iterable[int] | None = None,
           until: datetime | None = None) -> Replay:
    """Replay the site's lots and movements (of these ingredients) first in, first out."""
    lot_q = sa.select(T_LOT.c.id, T_LOT.c.ingredient_id, T_LOT.c.qty, T_LOT.c.received_at) \
        .where(T_LOT.c.site_id == site_id)
    move_q = sa.select(T_MOVE.c.id, T_MOVE.c.ingredient_id, T_MOVE.c.qty, T_MOVE.c.lot_id,
                       T_MOVE.c.at, T_MOVE.c.kind) \
        .where(T_MOVE.c.site_id == site_id, T_MOVE.c.kind != MovementKind.RECEIPT.value)
    if ingredient_ids is not None:
        ids = sorted(set(ingredient_ids))
        lot_q = lot_q.where(T_LOT.c.ingredient_id.in_(ids))
        move_q = move_q.where(T_MOVE.c.ingredient_id.in_(ids))
    if until is not None:
        lot_q = lot_q.where(T_LOT.c.received_at <= until)
        move_q = move_q.where(T_MOVE.c.at <= until)
    # (time, 0 = arrival first at a tie, id, ...) so a lot received at the same instant
    # as an order is there for it.
    timeline: list[tuple[datetime, int, int, int, float, int | None]] = [
        (at, 0, lid, ing, float(q), lid) for lid, ing, q, at in conn.execute(lot_q)]
    timeline += [(at, 1, mid, ing, float(q), lot) for mid, ing, q, lot, at, _k
                 in conn.execute(move_q)]
    timeline.sort(key=lambda t: (t[0], t[1], t[2]))
    out = Replay()
    queues: dict[int, list[int | None]] = defaultdict(list)  # ingredient -> lots in FIFO
    loose: dict[int, float] = defaultdict(float)  # stock no lot accounts for (counts)
    for _at, is_move, ident, ing, qty, lot in timeline:
        if not is_move:
            out.remaining[ident] = qty
            queues[ing].append(ident)
            continue
        if qty > 0:  # a count found more than the ledger
            loose[ing] += qty
            continue
        need = -qty
        parts: list[tuple[int | None, float]] = []
        if lot is not None and out.remaining.get(lot, 0.0) > EPS:
            take = min(need, out.remaining[lot])
            out.remaining[lot] -= take
            parts.append((lot, take))
            need -= take
        for lid in queues[ing]:
            if need <= EPS:
                break
            assert lid is not None
            if out.remaining[lid] > EPS:
                take = min(need, out.remaining[lid])
                out.remaining[lid] -= take
                parts.append((lid, take))
                need -= take
        if need > EPS:
            from_loose = min(need, loose[ing])
            loose[ing] -= from_loose
            need -= from_loose
            if from_loose > EPS:
                parts.append((None, from_loose))
            if need > EPS:
                parts.append((None, need))
        out.taken[ident] = parts
    for ing, lots in queues.items():
        current = next((lid for lid in lots if lid is not None and out.remaining[lid] > EPS),
                       None)
        if current is not None:
            out.head[ing] = current
    return out


@dataclass(frozen=True)
class Alert:
    """A low-stock or expiry alert for staff."""

    kind: str  # low_stock, expiring, expired
    ingredient_id: int
    code: str
    name_zh: str
    name_en: str
    qty: float
    unit: str
    lot_code: str | None = None
    expires_on: date | None = None


def alerts(conn: Connection, site_id: int, today: date) -> list[Alert]:
    """Ingredients at or below their low-stock level; lots expiring soon or expired."""
    stock = on_hand(conn, site_id)
    ings = {r.id: r for r in conn.execute(sa.select(T_ING))}
    found: list[Alert] = []
    for ing in ings.values():
        qty = stock.get(ing.id)
        if qty is None and ing.low_stock <= 0:
            continue  # never stocked here and no level set: not this site's ingredient
        qty = qty or 0.0
        if qty <= ing.low_stock + EPS:
            found.append(Alert("low_stock", ing.id, ing.code, ing.name_zh, ing.name_en, qty,
                               ing.unit))
    left = replay(conn, site_id).remaining
    soon = today + timedelta(days=EXPIRY_WARN_DAYS)
    for lot in conn.execute(sa.select(T_LOT).where(T_LOT.c.site_id == site_id,
                                                   T_LOT.c.expires_on <= soon)
                            .order_by(T_LOT.c.expires_on, T_LOT.c.id)):
        rest = left.get(lot.id, 0.0)
        if rest <= EPS:
            continue
        ing = ings[lot.ingredient_id]
        kind = "expired" if lot.expires_on < today else "expiring"
        found.append(Alert(kind, ing.id, ing.code, ing.name_zh, ing.name_en, rest, ing.unit,
                           lot.lot_code, lot.expires_on))
    return found


@dataclass(frozen=True)
class TraceRow:
    """One lot that went into one dish on one day and meal period at a site."""

    business_date: date
    meal_period: str
    dish_code: str
    dish_zh: str
    dish_en: str
    ingredient_code: str
    ingredient_zh: str
    ingredient_en: str
    lot_code: str | None
    supplier_zh: str | None
    supplier_en: str | None
    produced_on: date | None
    expires_on: date | None
    qty: float
    unit: str


def traceability(conn: Connection, site_id: int, start: date, end: date) -> list[TraceRow]:
    """Which lots went into which day's dishes at the site, start..end inclusive."""
    moves = list(conn.execute(
        sa.select(T_MOVE.c.id, T_MOVE.c.business_date, T_MOVE.c.meal_period, T_MOVE.c.dish_id,
                  T_MOVE.c.ingredient_id)
        .where(T_MOVE.c.site_id == site_id, T_MOVE.c.kind == MovementKind.CONSUMPTION.value,
               T_MOVE.c.business_date >= start, T_MOVE.c.business_date <= end)))
    if not moves:
        return []
    taken = replay(conn, site_id, {m.ingredient_id for m in moves}).taken
    dishes = {r.id: r for r in conn.execute(
        sa.select(Dish.__table__).where(  # type: ignore[attr-defined]
            Dish.__table__.c.id.in_({m.dish_id for m in moves})))}  # type: ignore[attr-defined]
    ings = {r.id: r for r in conn.execute(sa.select(T_ING))}
    lots = _lots(conn, site_id)
    total: dict[tuple[date, str, int, int, int | None], float] = defaultdict(float)
    for m in moves:
        for lot_id, qty in taken.get(m.id, []):
            total[(m.business_date, m.meal_period or "", m.dish_id, m.ingredient_id,
                   lot_id)] += qty
    rows = []
    for (day, period, dish_id, ing_id, lot_id), qty in sorted(
            total.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3],
                                           kv[0][4] or 0)):
        dish, ing, lot = dishes.get(dish_id), ings[ing_id], lots.get(lot_id or -1)
        rows.append(TraceRow(
            day, period, dish.code if dish else "?", dish.name_zh if dish else "?",
            dish.name_en if dish else "?", ing.code, ing.name_zh, ing.name_en,
            lot["lot_code"] if lot else None, lot["supplier_zh"] if lot else None,
            lot["supplier_en"] if lot else None, lot["produced_on"] if lot else None,
            lot["expires_on"] if lot else None, round(qty, 3), ing.unit))
    return rows


def _lots(conn: Connection, site_id: int) -> dict[int, dict[str, Any]]:
    return {r.id: dict(r._mapping) for r in conn.execute(
        sa.select(T_LOT.c.id, T_LOT.c.lot_code, T_LOT.c.produced_on, T_LOT.c.expires_on,
                  T_LOT.c.received_at, T_SUP.c.name_zh.label("supplier_zh"),
                  T_SUP.c.name_en.label("supplier_en"))
        .join_from(T_LOT, T_REC, T_REC.c.id == T_LOT.c.receipt_id)
        .join(T_SUP, T_SUP.c.id == T_REC.c.supplier_id)
        .where(T_LOT.c.site_id == site_id))}


@dataclass(frozen=True)
class Origin:
    """Where a dish's main ingredient in use today came from (shown to diners)."""

    ingredient_zh: str
    ingredient_en: str
    supplier_zh: str
    supplier_en: str
    lot_date: date  # the lot date the supplier printed, else the day it was received


MAX_ORIGINS = 3


def publishes_origin(conn: Connection, site_id: int) -> bool:
    """Whether the canteen chose to show diners where ingredients came from."""
    t = SupplySite.__table__  # type: ignore[attr-defined]
    return bool(conn.execute(sa.select(t.c.publish_origin)
                             .where(t.c.site_id == site_id)).scalar())


def origins(conn: Connection, site_id: int) -> dict[str, tuple[Origin, ...]]:
    """Dish code -> origins of its main ingredients (the lot in use now), for the site's
    menus; empty when the canteen does not publish them."""
    if not publishes_origin(conn, site_id):
        return {}
    d, r, m, mi = (_cols(x) for x in (Dish, RecipeLine, Menu, MenuItem))
    uses = list(conn.execute(
        sa.select(sa.distinct(d.code), r.ingredient_id)
        .select_from(Menu.__table__)  # type: ignore[attr-defined]
        .join(MenuItem.__table__, mi.menu_id == m.id)  # type: ignore[attr-defined]
        .join(Dish.__table__, d.id == mi.dish_id)  # type: ignore[attr-defined]
        .join(RecipeLine.__table__, r.dish_id == d.id)  # type: ignore[attr-defined]
        .join(T_ING, T_ING.c.id == r.ingredient_id)
        .where(m.site_id == site_id, m.active, T_ING.c.main)
        .order_by(d.code, r.ingredient_id)))
    if not uses:
        return {}
    head = replay(conn, site_id, {i for _, i in uses}).head
    lots = _lots(conn, site_id)
    ings = {r.id: r for r in conn.execute(sa.select(T_ING))}
    out: dict[str, list[Origin]] = defaultdict(list)
    for code, ing_id in uses:
        lot = lots.get(head.get(ing_id, -1))
        if lot is None or len(out[code]) >= MAX_ORIGINS:
            continue
        lot_date = lot["produced_on"] or lot["received_at"].date()
        ing = ings[ing_id]
        out[code].append(Origin(ing.name_zh, ing.name_en, str(lot["supplier_zh"]),
                                str(lot["supplier_en"]), lot_date))
    return {k: tuple(v) for k, v in out.items()}
