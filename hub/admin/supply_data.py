"""What the supply admin pages show, read through hub.supply (no SQL of its own beyond lists)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.requests import Request

from hub.errors import InvalidInputError
from hub.models.bounds import MAX_ID
from hub.models.dishes import Dish
from hub.models.sites import MealPeriod, Site
from hub.models.supply import (
    MAX_QTY,
    GoodsReceipt,
    Ingredient,
    MovementKind,
    RecipeIn,
    StockCount,
    StockLot,
    StockMovement,
    Supplier,
)
from hub.supply import inventory, portions, purchasing, recipes, stock

Reader = Callable[[Session, Site], dict[str, Any]]
RECENT = 30


class RecipeLineForm(BaseModel):
    """One line of a dish's recipe as the recipes page sets it."""

    dish_id: int = Field(ge=1, le=MAX_ID)
    ingredient_id: int = Field(ge=1, le=MAX_ID)
    qty: float = Field(gt=0, le=MAX_QTY, allow_inf_nan=False)


def set_recipe_line(s: Session, line: RecipeLineForm) -> None:
    """Set one ingredient of a dish's recipe, keeping the others (through set_recipe)."""
    if s.get(Dish, line.dish_id) is None:
        raise InvalidInputError(f"dish {line.dish_id} does not exist", field="dish_id")
    have = recipes.recipes_for(s.connection(), [line.dish_id])[line.dish_id]
    lines = {i: q for i, q in have.lines}
    lines[line.ingredient_id] = line.qty
    recipes.set_recipe(session=s, dish_id=line.dish_id, data=RecipeIn.model_validate(
        {"lines": [{"ingredient_id": i, "qty": q} for i, q in lines.items()]}))


def _ingredients(s: Session) -> list[Ingredient]:
    return list(s.exec(select(Ingredient).order_by(col(Ingredient.code))).all())


def _suppliers(s: Session) -> list[Supplier]:
    return list(s.exec(select(Supplier).order_by(col(Supplier.code))).all())


def stock_page(s: Session, site: Site) -> dict[str, Any]:
    """On hand, alerts, and lots with what is left of them."""
    assert site.id is not None
    conn = s.connection()
    have = stock.on_hand(conn, site.id)
    alerts = stock.alerts(conn, site.id, inventory.site_today(site))
    low = {a.ingredient_id for a in alerts if a.kind == "low_stock"}
    rows = [(i, have.get(i.id or 0, 0.0), (i.id in low)) for i in _ingredients(s)
            if i.id in have or i.low_stock > 0]
    left = stock.replay(conn, site.id).remaining
    sups = {x.id: x for x in _suppliers(s)}
    receipts = {r.id: r for r in s.exec(select(GoodsReceipt).where(
        GoodsReceipt.site_id == site.id)).all()}
    ings = {i.id: i for i in _ingredients(s)}
    lots = []
    for lot in s.exec(select(StockLot).where(StockLot.site_id == site.id)
                      .order_by(col(StockLot.expires_on), col(StockLot.id))).all():
        rest = left.get(lot.id or 0, 0.0)
        if rest > 1e-9:
            sup = sups.get(receipts[lot.receipt_id].supplier_id)
            lots.append((lot, ings[lot.ingredient_id], sup, round(rest, 3)))
    return {"rows": rows, "alerts": alerts, "lots": lots}


def receipts_page(s: Session, site: Site) -> dict[str, Any]:
    """The receipt form's choices and the recent receipts with their lots."""
    sups = {x.id: x for x in _suppliers(s)}
    ings = {i.id: i for i in _ingredients(s)}
    recent = []
    for r in s.exec(select(GoodsReceipt).where(GoodsReceipt.site_id == site.id)
                    .order_by(col(GoodsReceipt.id).desc()).limit(RECENT)).all():
        lots = s.exec(select(StockLot).where(StockLot.receipt_id == r.id)).all()
        recent.append((r, sups[r.supplier_id], [(lot, ings[lot.ingredient_id]) for lot in lots]))
    return {"suppliers": list(sups.values()), "ingredients": list(ings.values()),
            "recent": recent}


def counts_page(s: Session, site: Site) -> dict[str, Any]:
    """The count form's choices and the recent counts."""
    ings = {i.id: i for i in _ingredients(s)}
    recent = [(c, ings[c.ingredient_id]) for c in s.exec(
        select(StockCount).where(StockCount.site_id == site.id)
        .order_by(col(StockCount.id).desc()).limit(RECENT)).all()]
    return {"ingredients": list(ings.values()), "recent": recent}


def waste_page(s: Session, site: Site) -> dict[str, Any]:
    """The waste form's choices, recent waste and its totals by reason (last 30 days)."""
    ings = {i.id: i for i in _ingredients(s)}
    since = inventory.site_today(site) - timedelta(days=30)
    rows = s.exec(select(StockMovement).where(
        StockMovement.site_id == site.id, StockMovement.kind == MovementKind.WASTE,
        StockMovement.business_date >= since).order_by(col(StockMovement.id).desc())).all()
    by_reason: Counter[str] = Counter()
    for m in rows:
        by_reason[m.reason or "other"] += 1
    return {"ingredients": list(ings.values()),
            "recent": [(m, ings[m.ingredient_id]) for m in rows[:RECENT]],
            "by_reason": by_reason.most_common()}


def recipes_page(s: Session, site: Site) -> dict[str, Any]:
    """Every active dish with its recipe lines."""
    dishes = list(s.exec(select(Dish).where(Dish.active).order_by(col(Dish.code))).all())
    ings = {i.id: i for i in _ingredients(s)}
    found = recipes.recipes_for(s.connection(), [d.id for d in dishes if d.id is not None])
    rows = [(d, found[d.id].weighed if d.id in found else False,
             [(ings[i], q) for i, q in (found[d.id].lines if d.id in found else ())])
            for d in dishes]
    return {"dishes": rows, "ingredients": list(ings.values())}


def _day(request: Request, name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.query_params.get(name, "")[:10])
    except ValueError:
        return default


def portions_page(request: Request) -> Reader:
    """Prepared against sold for a meal period of a day (query: day, period)."""
    def read(s: Session, site: Site) -> dict[str, Any]:
        day = _day(request, "day", inventory.site_today(site))
        periods = list(s.exec(select(MealPeriod).where(MealPeriod.site_id == site.id)
                              .order_by(col(MealPeriod.start))).all())
        wanted = request.query_params.get("period", "")[:32]
        period = next((p.code for p in periods if p.code == wanted),
                      periods[0].code if periods else "")
        assert site.id is not None
        rows = portions.status(s, site_id=site.id, day=day, meal_period=period) \
            if period else []
        dishes = list(s.exec(select(Dish).where(Dish.active).order_by(col(Dish.code))).all())
        return {"day": day, "period": period, "periods": periods, "rows": rows,
                "dishes": dishes}
    return read


def purchasing_page(request: Request) -> Reader:
    """Suggestions by supplier for the window asked (query: start, days) and the orders."""
    def read(s: Session, site: Site) -> dict[str, Any]:
        start = _day(request, "start", inventory.site_today(site) + timedelta(days=1))
        try:
            days = min(max(int(request.query_params.get("days", "3")), 1), 14)
        except ValueError:
            days = 3
        assert site.id is not None
        unavailable = None
        try:
            groups = purchasing.suggestions(s, site_id=site.id, start=start, days=days)
        except purchasing.ForecastUnavailable as err:
            groups, unavailable = [], str(err)
        sups = {x.id: x for x in _suppliers(s)}
        orders = [(po, sups[po.supplier_id])
                  for po in purchasing.list_purchase_orders(s, site.id)[:RECENT]]
        return {"start": start, "days": days, "groups": groups, "orders": orders,
                "unavailable": unavailable}
    return read


def trace_page(request: Request) -> Reader:
    """The traceability report for the days asked (query: start, end; at most 31 days)."""
    def read(s: Session, site: Site) -> dict[str, Any]:
        today = inventory.site_today(site)
        end = _day(request, "end", today)
        start = _day(request, "start", end)
        start = max(min(start, end), end - timedelta(days=31))
        assert site.id is not None
        return {"start": start, "end": end,
                "rows": stock.traceability(s.connection(), site.id, start, end)}
    return read
