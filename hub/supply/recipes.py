"""Recipes: what a dish uses of each ingredient, and what an order line or a set meal uses.

A counted dish's recipe is per portion; a weighed dish's (one with ``price_per_100g_cents``,
charged from the scale) is per 100 g of what the diner took, so a line of 340 g uses 3.4
times the recipe. A set meal has no recipe of its own: it uses its dishes' recipes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, delete, select

from hub.errors import InvalidInputError, NotFoundError
from hub.models.dishes import Dish
from hub.models.orders import OrderLine
from hub.models.set_meals import SetMeal, SetMealItem
from hub.models.supply import Ingredient, RecipeIn, RecipeLine

DEFAULT_WEIGHED_PORTION_G = 250.0
"""What one diner takes of a weighed dish when the site has no sales of it to go by."""


@dataclass(frozen=True, slots=True)
class Recipe:
    """A dish's recipe as the other modules read it."""

    dish_id: int
    weighed: bool  # per 100 g (True) or per portion
    lines: tuple[tuple[int, float], ...]  # (ingredient id, quantity)


def line_factor(*, weighed: bool, qty: int, weight_g: int | None) -> float:
    """How many times the recipe an order line uses (portions, or hundreds of grams)."""
    if weighed:
        return qty * (weight_g or 0) / 100.0
    return float(qty)


def set_recipe(*, session: Session, dish_id: int, data: RecipeIn) -> Recipe:
    """Replace a dish's recipe; a negative or zero quantity, an unknown or repeated
    ingredient is refused with its field and nothing is written."""
    dish = session.get(Dish, dish_id)
    if dish is None:
        raise NotFoundError(f"dish {dish_id} not found")
    seen: set[int] = set()
    for i, line in enumerate(data.lines):
        if not line.qty > 0:  # also for callers that built the shape without validation
            raise InvalidInputError("配方用量必须大于零 / a recipe quantity must be more than zero",
                                    field=f"lines.{i}.qty")
        if session.get(Ingredient, line.ingredient_id) is None:
            raise InvalidInputError(f"食材 {line.ingredient_id} 不存在 / "
                                    f"ingredient {line.ingredient_id} does not exist",
                                    field=f"lines.{i}.ingredient_id")
        if line.ingredient_id in seen:
            raise InvalidInputError(f"食材 {line.ingredient_id} 出现两次 / "
                                    f"ingredient {line.ingredient_id} appears twice",
                                    field=f"lines.{i}.ingredient_id")
        seen.add(line.ingredient_id)
    session.exec(delete(RecipeLine).where(col(RecipeLine.dish_id) == dish_id))
    for line in data.lines:
        session.add(RecipeLine(dish_id=dish_id, ingredient_id=line.ingredient_id, qty=line.qty))
    session.commit()
    return recipes_for(session.connection(), [dish_id])[dish_id]


def recipes_for(conn: Connection, dish_ids: Iterable[int]) -> dict[int, Recipe]:
    """Recipes of these dishes (a dish without one has no lines), in one query."""
    ids = sorted(set(dish_ids))
    if not ids:
        return {}
    d, r = Dish.__table__.c, RecipeLine.__table__.c  # type: ignore[attr-defined]
    found: dict[int, list[tuple[int, float]]] = defaultdict(list)
    weighed: dict[int, bool] = {}
    for dish_id, per_100g, ing, qty in conn.execute(
        sa.select(d.id, d.price_per_100g_cents, r.ingredient_id, r.qty)
        .select_from(Dish.__table__.outerjoin(  # type: ignore[attr-defined]
            RecipeLine.__table__, r.dish_id == d.id))  # type: ignore[attr-defined]
        .where(d.id.in_(ids)).order_by(d.id, r.ingredient_id)
    ):
        weighed[dish_id] = per_100g is not None
        if ing is not None:
            found[dish_id].append((ing, float(qty)))
    return {i: Recipe(i, weighed[i], tuple(found[i])) for i in weighed}


def set_meal_dishes(session: Session, set_meal_id: int) -> list[tuple[int, int]]:
    """(dish id, portions) of a fixed set meal; a build-your-own one has no fixed dishes."""
    if session.get(SetMeal, set_meal_id) is None:
        raise NotFoundError(f"set meal {set_meal_id} not found")
    rows = session.exec(select(SetMealItem).where(SetMealItem.set_meal_id == set_meal_id)).all()
    return [(r.dish_id, r.qty) for r in rows]


def weighed_portion_g(conn: Connection, dish_ids: Sequence[int]) -> dict[int, float]:
    """Average grams a diner took of each weighed dish (its sales), else the default."""
    ol = OrderLine.__table__.c  # type: ignore[attr-defined]
    avg: dict[int, Any] = {int(k): v for k, v in conn.execute(
        sa.select(ol.dish_id, sa.func.avg(ol.weight_g))
        .where(ol.dish_id.in_(list(dish_ids)), ol.weight_g.is_not(None))
        .group_by(ol.dish_id)
    )} if dish_ids else {}
    return {i: float(avg.get(i) or DEFAULT_WEIGHED_PORTION_G) for i in dish_ids}


def requirements(
    session: Session, portions: dict[int, float], *, set_meals: dict[int, float] | None = None
) -> dict[int, float]:
    """Ingredient id -> quantity that these portions of dishes (and of fixed set meals,
    through their dishes) use; a weighed dish's portion is its average weight."""
    want: dict[int, float] = defaultdict(float)
    want.update(portions)
    for set_meal_id, n in (set_meals or {}).items():
        for dish_id, qty in set_meal_dishes(session, set_meal_id):
            want[dish_id] += n * qty
    conn = session.connection()
    recipes = recipes_for(conn, want)
    grams = weighed_portion_g(conn, [i for i, r in recipes.items() if r.weighed])
    need: dict[int, float] = defaultdict(float)
    for dish_id, n in want.items():
        recipe = recipes.get(dish_id)
        if recipe is None:
            continue
        factor = n * grams[dish_id] / 100.0 if recipe.weighed else n
        for ingredient_id, amount in recipe.lines:
            need[ingredient_id] += factor * amount
    return dict(need)
