"""Small builders for pricing inputs, so each test states only what matters to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.labels import Label
from rules.order import (
    Member,
    OrderLine,
    PricingInputs,
    SetMealOffer,
    SetMealSlot,
    Tier,
    Window,
)

NOW = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)  # a Monday lunch, 12:30 in Shanghai
YESTERDAY = NOW - timedelta(days=1)
TOMORROW = NOW + timedelta(days=1)
ALICE = Member("alice", Tier("standard"))
GOLD = Member("bob", Tier("gold", member_price=True, points_multiplier_pct=150))

TWO_MEAT_ONE_VEG = SetMealOffer(
    code="2m1v",
    name=Label("两荤一素套餐", "Two meat, one veg"),
    price_cents=2000,
    slots=(
        SetMealSlot("meat", Label("荤菜", "Meat"), 2, categories=frozenset({"meat"})),
        SetMealSlot("veg", Label("素菜", "Veg"), 1, categories=frozenset({"veg"})),
        SetMealSlot("rice", Label("米饭", "Rice"), 1, dish_ids=frozenset({"rice"})),
    ),
)
BURGER_SET = SetMealOffer(
    code="burger",
    name=Label("汉堡套餐", "Burger set"),
    price_cents=2500,
    slots=(
        SetMealSlot("main", Label("汉堡", "Burger"), 1, dish_ids=frozenset({"burger"})),
        SetMealSlot("side", Label("薯条", "Fries"), 1, dish_ids=frozenset({"fries"})),
        SetMealSlot("drink", Label("可乐", "Cola"), 1, dish_ids=frozenset({"cola"})),
    ),
    window=Window(YESTERDAY, TOMORROW),
)


def line(
    line_id: str,
    price: int,
    *,
    category: str = "meat",
    dish: str | None = None,
    qty: int = 1,
    member: int | None = None,
    grams: int | None = None,
) -> OrderLine:
    """An order line; the dish id defaults to ``dish-<line_id>``."""
    return OrderLine(
        line_id=line_id,
        dish_id=dish or f"dish-{line_id}",
        category=category,
        unit_price_cents=price,
        qty=qty,
        member_unit_price_cents=member,
        grams=grams,
    )


def order(*lines: OrderLine, **kwargs: object) -> PricingInputs:
    """Pricing inputs; defaults: ``now=NOW`` and ``member=ALICE``."""
    kwargs.setdefault("member", ALICE)
    kwargs.setdefault("now", NOW)
    return PricingInputs(lines=tuple(lines), **kwargs)  # type: ignore[arg-type]
