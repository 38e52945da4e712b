"""Purchase suggestions and purchase orders.

suggestion = forecast portions x recipe - stock on hand - open purchase orders, rounded up
to whole packs, grouped by supplier; each supplier's group says by when to order (the
first day of the window minus the supplier's lead time). The forecast is the demand
forecaster's (``hub.supply.forecast.forecast_portions``); tests of the arithmetic pass
their own.
"""

from __future__ import annotations

import importlib
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.errors import InvalidInputError, NotFoundError, ServiceError
from hub.models.sites import Site
from hub.models.supply import (
    Ingredient,
    PurchaseOrder,
    PurchaseOrderCreate,
    PurchaseOrderLine,
    PurchaseStatus,
    Supplier,
)
from hub.supply.inventory import site_of
from hub.supply.recipes import requirements
from hub.supply.stock import on_hand

ForecastFn = Callable[[Session, int, date, int], dict[tuple[int, date, int], float]]
"""(session, site id, first day, days) -> {(dish id, day, meal period id): portions}."""
EPS = 1e-9


class ForecastUnavailable(ServiceError):
    """The demand forecaster is not installed on this hub."""

    status_code = 503


def default_forecast() -> ForecastFn:
    """The hub's demand forecast (hub.supply.forecast), looked up when first needed."""
    try:
        module = importlib.import_module("hub.supply.forecast")
    except ImportError as err:
        raise ForecastUnavailable("the demand forecast is not available on this hub") from err
    fn: ForecastFn = module.forecast_portions
    return fn


@dataclass(frozen=True)
class SuggestionLine:
    """One ingredient to order."""

    ingredient_id: int
    code: str
    name_zh: str
    name_en: str
    unit: str
    need: float  # what the forecast portions use
    on_hand: float
    on_order: float  # open purchase orders
    short: float  # need - on hand - on order (never below zero)
    pack_size: float
    packs: int
    qty: float  # packs x pack size


@dataclass(frozen=True)
class SupplierGroup:
    """What to order from one supplier, and by when."""

    supplier_id: int | None
    code: str
    name_zh: str
    name_en: str
    lead_time_days: int
    order_by: date
    lines: tuple[SuggestionLine, ...]


def packs_for(short: float, pack_size: float) -> int:
    """Whole packs that cover ``short`` (a hair over a pack from float sums is not a pack)."""
    if short <= EPS:
        return 0
    return max(1, math.ceil(short / pack_size - 1e-6))


def open_orders(session: Session, site_id: int) -> dict[int, float]:
    """Ingredient id -> quantity on open purchase orders of the site."""
    po, pol = PurchaseOrder.__table__.c, PurchaseOrderLine.__table__.c  # type: ignore[attr-defined]
    rows = session.connection().execute(
        sa.select(pol.ingredient_id, sa.func.sum(pol.qty))
        .join_from(PurchaseOrderLine.__table__, PurchaseOrder.__table__,  # type: ignore[attr-defined]
                   po.id == pol.purchase_order_id)
        .where(po.site_id == site_id, po.status == PurchaseStatus.OPEN.value)
        .group_by(pol.ingredient_id))
    return {int(i): float(q) for i, q in rows}


def suggestions(session: Session, *, site_id: int, start: date, days: int,
                forecast: ForecastFn | None = None) -> list[SupplierGroup]:
    """What to order for the site's forecast demand from ``start`` for ``days`` days."""
    site_of(session, site_id)
    if not 1 <= days <= 14:
        raise InvalidInputError("天数须为 1 到 14 / days must be 1 to 14", field="days")
    predicted = (forecast or default_forecast())(session, site_id, start, days)
    portions: dict[int, float] = defaultdict(float)
    end = start + timedelta(days=days)
    for (dish_id, day, _period), n in predicted.items():
        if start <= day < end and n > 0:
            portions[dish_id] += n
    need = requirements(session, dict(portions))
    stock = on_hand(session.connection(), site_id)
    ordered = open_orders(session, site_id)
    ings = {i.id: i for i in session.exec(select(Ingredient)).all()}
    sups = {s.id: s for s in session.exec(select(Supplier)).all()}
    grouped: dict[int | None, list[SuggestionLine]] = defaultdict(list)
    for ing_id in sorted(need, key=lambda i: ings[i].code):
        ing = ings[ing_id]
        have, coming = stock.get(ing_id, 0.0), ordered.get(ing_id, 0.0)
        short = max(0.0, need[ing_id] - max(have, 0.0) - coming)
        packs = packs_for(short, ing.pack_size)
        if packs == 0:
            continue
        assert ing.id is not None
        grouped[ing.supplier_id].append(SuggestionLine(
            ing.id, ing.code, ing.name_zh, ing.name_en, ing.unit, round(need[ing_id], 3),
            round(have, 3), round(coming, 3), round(short, 3), ing.pack_size, packs,
            round(packs * ing.pack_size, 3)))
    out = []
    for sup_id, lines in grouped.items():
        sup = sups.get(sup_id) if sup_id is not None else None
        lead = sup.lead_time_days if sup else 0
        out.append(SupplierGroup(sup_id, sup.code if sup else "-",
                                 sup.name_zh if sup else "未指定供应商",
                                 sup.name_en if sup else "No supplier set", lead,
                                 start - timedelta(days=lead), tuple(lines)))
    return sorted(out, key=lambda g: (g.order_by, g.code))


def create_purchase_order(*, session: Session, data: PurchaseOrderCreate, actor: str,
                          today: date, forecast: ForecastFn | None = None) -> PurchaseOrder:
    """An open purchase order of one supplier's suggested lines (refused when none)."""
    if session.get(Supplier, data.supplier_id) is None:
        raise InvalidInputError(f"供应商 {data.supplier_id} 不存在 / "
                                f"supplier {data.supplier_id} does not exist",
                                field="supplier_id")
    groups = suggestions(session, site_id=data.site_id, start=data.start, days=data.days,
                         forecast=forecast)
    group = next((g for g in groups if g.supplier_id == data.supplier_id), None)
    if group is None:
        raise InvalidInputError("这几天不需要向该供应商采购 / "
                                "nothing to order from this supplier for that window",
                                field="supplier_id")
    po = PurchaseOrder(site_id=data.site_id, supplier_id=data.supplier_id, ordered_on=today,
                       deliver_on=max(data.start, today + timedelta(days=group.lead_time_days)),
                       created_by=actor[:64])
    session.add(po)
    session.flush()
    assert po.id is not None
    for line in group.lines:
        session.add(PurchaseOrderLine(purchase_order_id=po.id, ingredient_id=line.ingredient_id,
                                      packs=line.packs, qty=line.qty))
    session.commit()
    session.refresh(po)
    return po


@dataclass(frozen=True)
class PurchaseOrderView:
    """A purchase order with what the documents print."""

    order: PurchaseOrder
    site: Site
    supplier: Supplier
    lines: tuple[tuple[Ingredient, PurchaseOrderLine], ...]


def purchase_order_view(session: Session, purchase_order_id: int) -> PurchaseOrderView:
    """A purchase order with its site, supplier and lines (404)."""
    po = session.get(PurchaseOrder, purchase_order_id)
    if po is None:
        raise NotFoundError(f"purchase order {purchase_order_id} not found")
    site, sup = session.get(Site, po.site_id), session.get(Supplier, po.supplier_id)
    assert site is not None and sup is not None
    rows = session.exec(
        select(Ingredient, PurchaseOrderLine)
        .join(PurchaseOrderLine, col(PurchaseOrderLine.ingredient_id) == col(Ingredient.id))
        .where(PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(col(Ingredient.code))).all()
    return PurchaseOrderView(po, site, sup, tuple((i, ln) for i, ln in rows))


def list_purchase_orders(session: Session, site_id: int) -> list[PurchaseOrder]:
    """The site's purchase orders, newest first."""
    return list(session.exec(select(PurchaseOrder).where(PurchaseOrder.site_id == site_id)
                             .order_by(col(PurchaseOrder.id).desc())).all())
