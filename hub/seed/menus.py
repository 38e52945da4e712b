"""Which dishes each demo canteen serves per meal period, and the set meals (plain data)."""

from __future__ import annotations

from dataclasses import dataclass

from hub.seed.catalog import CATEGORIES, DISHES
from hub.seed.records import MEAL_PERIOD_CODES, Dish
from hub.seed.sites import SHIYAN, XINGHE

# The school canteen leaves out premium seafood, the halal window's lamb, fizzy and
# caffeinated drinks, and the hottest Sichuan dishes.
_SCHOOL_EXCLUDED: frozenset[str] = frozenset(
    {
        "steamed-bass", "braised-prawns", "boiled-fish", "chongqing-chicken", "cumin-lamb",
        "big-plate-chicken", "lamb-paomo", "lamb-skewers", "twice-cooked-pork", "fuqi-feipian",
        "mouthwatering-chicken", "cola", "lemon-tea", "milk-tea", "grilled-sausage",
        "popcorn-chicken", "malatang", "buffet-meat", "buffet-veg", "dandan-noodles",
    }
)

# Shown on the menu but switched off, or sold out, as a canteen would have on a given day.
_UNAVAILABLE: dict[tuple[str, str], frozenset[str]] = {
    (XINGHE.code, "dinner"): frozenset({"orange-juice"}),
    (SHIYAN.code, "lunch"): frozenset({"corn-juice"}),
}
_SOLD_OUT: dict[tuple[str, str], frozenset[str]] = {
    (XINGHE.code, "lunch"): frozenset({"steamed-bass"}),
    (XINGHE.code, "breakfast"): frozenset({"glutinous-shaomai"}),
}


@dataclass(frozen=True)
class MenuItemSeed:
    """One dish on one menu with its availability."""

    dish_code: str
    available: bool
    sold_out: bool
    sort_order: int


@dataclass(frozen=True)
class MenuSeed:
    """The menu of a site in one meal period."""

    site_code: str
    period_code: str
    items: tuple[MenuItemSeed, ...]


@dataclass(frozen=True)
class SlotSeed:
    """A build-your-own slot: pick min..max dishes of one category."""

    category: str
    min_picks: int
    max_picks: int


@dataclass(frozen=True)
class SetMealSeed:
    """A set meal: a fixed combo (items) or build-your-own (slots), at one price in fen."""

    code: str
    name_zh: str
    name_en: str
    price_fen: int
    items: tuple[tuple[str, int], ...] = ()
    slots: tuple[SlotSeed, ...] = ()

    @property
    def kind(self) -> str:
        """'fixed' or 'build_your_own', as the hub's SetMealKind spells it."""
        return "fixed" if self.items else "build_your_own"


_CATEGORY_SORT = {c.code: c.sort for c in CATEGORIES}


def _menu(site_code: str, period: str, dishes: list[Dish]) -> MenuSeed:
    unavailable = _UNAVAILABLE.get((site_code, period), frozenset())
    sold_out = _SOLD_OUT.get((site_code, period), frozenset())
    ordered = sorted(dishes, key=lambda d: _CATEGORY_SORT[d.category])
    items = tuple(
        MenuItemSeed(d.code, d.code not in unavailable, d.code in sold_out, (i + 1) * 10)
        for i, d in enumerate(ordered)
    )
    return MenuSeed(site_code, period, items)


def build_menus() -> tuple[MenuSeed, ...]:
    """Every menu of both demo canteens, one per site and meal period."""
    menus: list[MenuSeed] = []
    for site_code, excluded in ((XINGHE.code, frozenset[str]()), (SHIYAN.code, _SCHOOL_EXCLUDED)):
        for period in MEAL_PERIOD_CODES:
            dishes = [d for d in DISHES if period in d.periods and d.code not in excluded]
            menus.append(_menu(site_code, period, dishes))
    return tuple(menus)


MENUS: tuple[MenuSeed, ...] = build_menus()

SET_MEALS: tuple[SetMealSeed, ...] = (
    SetMealSeed(
        "set-2meat-1veg", "两荤一素加米饭", "Two Meat + One Veg + Rice", 1800,
        slots=(SlotSeed("meat", 2, 2), SlotSeed("vegetable", 1, 1), SlotSeed("staple", 1, 1)),
    ),
    SetMealSeed(
        "set-1meat-2veg", "一荤两素加米饭", "One Meat + Two Veg + Rice", 1500,
        slots=(SlotSeed("meat", 1, 1), SlotSeed("vegetable", 2, 2), SlotSeed("staple", 1, 1)),
    ),
    SetMealSeed(
        "set-student", "学生套餐（一荤一素一汤）", "Student Set: Meat, Veg, Soup & Rice", 1200,
        slots=(
            SlotSeed("meat", 1, 1),
            SlotSeed("vegetable", 1, 1),
            SlotSeed("soup", 1, 1),
            SlotSeed("staple", 1, 1),
        ),
    ),
    SetMealSeed(
        "combo-soymilk-youtiao", "豆浆油条套餐", "Soy Milk & Fried Dough Combo", 500,
        items=(("soy-milk", 1), ("youtiao", 1), ("tea-egg", 1)),
    ),
    SetMealSeed(
        "combo-lanzhou", "兰州牛肉面套餐", "Lanzhou Beef Noodle Combo", 1800,
        items=(("lanzhou-beef-noodles", 1), ("tea-egg", 1), ("sour-plum", 1)),
    ),
    SetMealSeed(
        "combo-late-night", "夜宵双拼", "Late-night Duo", 1800,
        items=(("pork-wontons", 1), ("shengjian", 1)),
    ),
)
