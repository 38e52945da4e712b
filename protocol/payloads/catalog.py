"""``catalog.snapshot``: the whole menu of a site, retained on the broker, replaced by version."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from protocol.fields import (
    Cents,
    Code,
    Flag,
    Identifier,
    LongText,
    Name,
    Positive,
    ShortText,
    UtcDatetime,
    WireModel,
)
from protocol.payloads.offers import Offers, OptionGroup
from protocol.vocab import check_codes

HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
"""A local wall-clock time of the site, ``HH:MM`` (24 h)."""

MAX_DISHES = 2000
MAX_KCAL = 20_000
"""The most kilocalories a dish may state (a typo guard: no canteen portion comes close)."""


def _first_repeat(values: list[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


class MealPeriod(WireModel):
    """A meal period (breakfast, lunch...) in the site's local time.

    ``end`` before ``start`` means the period runs past midnight (a late snack 21:00-00:30).
    """

    code: Code
    name_zh: Name
    name_en: Name
    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _starts_before_end(self) -> Self:
        if self.start == self.end:
            raise ValueError(f"meal period {self.code!r} starts and ends at {self.start}")
        return self

    def contains(self, hhmm: str) -> bool:
        """Whether the local time ``HH:MM`` falls in this period (end excluded)."""
        if self.start < self.end:
            return self.start <= hhmm < self.end
        return hhmm >= self.start or hhmm < self.end  # runs past midnight


class DishOrigin(WireModel):
    """Where a main ingredient in use today came from (1.1; sent where the canteen publishes
    it): the ingredient, its supplier and the lot date the supplier printed."""

    ingredient_zh: Name
    ingredient_en: Name
    supplier_zh: Name
    supplier_en: Name
    lot_date: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


class Dish(WireModel):
    """A dish with bilingual names, prices in fen, dietary tags and allergens.

    Tag and allergen codes are only checked for shape and repeats here; which
    codes exist is ``rules.dietary``'s business, checked by hub and kiosk.
    """

    id: Identifier
    name_zh: Name
    name_en: Name
    description_zh: LongText = ""
    description_en: LongText = ""
    category: Code
    price_cents: Cents
    member_price_cents: Cents | None = None
    # Weighed buffet dishes: priced from the scale per 100 g (member price then per 100 g too).
    price_per_100g_cents: Cents | None = None
    options: tuple[OptionGroup, ...] = Field(default=(), max_length=8)
    tags: tuple[Code, ...] = Field(default=(), max_length=32)  # codes of rules.dietary
    allergens: tuple[Code, ...] = Field(default=(), max_length=32)
    kcal: Annotated[int, Field(strict=True, ge=0, le=MAX_KCAL)] | None = None
    station: Code
    image: ShortText | None = None
    sold_out: Flag = False
    origins: tuple[DishOrigin, ...] = Field(default=(), max_length=3)  # 1.1

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        check_codes(tags, None, "dish tag")
        return tags

    @field_validator("allergens")
    @classmethod
    def _unique_allergens(cls, allergens: tuple[str, ...]) -> tuple[str, ...]:
        check_codes(allergens, None, "allergen")
        return allergens


class MenuItem(WireModel):
    """A dish offered in a meal period; ``available`` false hides it without removing it."""

    dish_id: Identifier
    available: Flag = True


class Menu(WireModel):
    """The dishes of one meal period."""

    meal_period: Code
    items: tuple[MenuItem, ...] = Field(max_length=MAX_DISHES)

    @model_validator(mode="after")
    def _each_dish_once(self) -> Self:
        repeat = _first_repeat([item.dish_id for item in self.items])
        if repeat is not None:
            raise ValueError(f"menu {self.meal_period!r} lists dish {repeat!r} twice")
        return self


class SetMealSlot(WireModel):
    """A build-your-own rule: choose ``count`` dishes of ``category``."""

    category: Code
    count: Annotated[int, Field(strict=True, ge=1, le=10)]


class FixedSetMeal(WireModel):
    """A fixed combo of dishes at one price."""

    kind: Literal["fixed"]
    id: Identifier
    name_zh: Name
    name_en: Name
    price_cents: Cents
    dish_ids: tuple[Identifier, ...] = Field(min_length=1, max_length=20)


class BuildSetMeal(WireModel):
    """A build-your-own set ("two meat + one veg + rice") at one price."""

    kind: Literal["build"]
    id: Identifier
    name_zh: Name
    name_en: Name
    price_cents: Cents
    slots: tuple[SetMealSlot, ...] = Field(min_length=1, max_length=10)


SetMeal = Annotated[FixedSetMeal | BuildSetMeal, Field(discriminator="kind")]
"""A set meal, told apart by its ``kind``."""


class Category(WireModel):
    """A dish category's bilingual name; menus list categories by ``sort`` (then code)."""

    code: Code
    name_zh: Name
    name_en: Name
    sort: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = 0


class Station(WireModel):
    """A kitchen station's bilingual name, shown on kitchen displays instead of its code."""

    code: Code
    name_zh: Name
    name_en: Name


class CatalogSnapshot(WireModel):
    """Every meal period, dish, menu and set meal of a site; a higher version replaces a lower."""

    version: Positive
    generated_at: UtcDatetime
    currency: Literal["CNY"] = "CNY"
    meal_periods: tuple[MealPeriod, ...] = Field(max_length=20)
    dishes: tuple[Dish, ...] = Field(max_length=MAX_DISHES)
    menus: tuple[Menu, ...] = Field(default=(), max_length=20)
    set_meals: tuple[SetMeal, ...] = Field(default=(), max_length=200)
    offers: Offers = Offers()
    # Empty: a device names categories and stations itself (older hubs send none).
    categories: tuple[Category, ...] = Field(default=(), max_length=200)
    stations: tuple[Station, ...] = Field(default=(), max_length=100)

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        for what, ids in (
            ("meal period code", [p.code for p in self.meal_periods]),
            ("dish id", [d.id for d in self.dishes]),
            ("menu meal period", [m.meal_period for m in self.menus]),
            ("set meal id", [s.id for s in self.set_meals]),
            ("category code", [c.code for c in self.categories]),
            ("station code", [s.code for s in self.stations]),
        ):
            repeat = _first_repeat(ids)
            if repeat is not None:
                raise ValueError(f"{what} {repeat!r} appears twice")
        periods = {p.code for p in self.meal_periods}
        dishes = {d.id for d in self.dishes}
        categories = {d.category for d in self.dishes}
        for what, listed, used in (
            ("category", {c.code for c in self.categories}, categories),
            ("station", {s.code for s in self.stations}, {d.station for d in self.dishes}),
        ):
            missing = sorted(used - listed) if listed else []
            if missing:
                raise ValueError(f"dishes use {what} {missing[0]!r}, which the {what} list lacks")
        for menu in self.menus:
            if menu.meal_period not in periods:
                raise ValueError(f"menu for unknown meal period {menu.meal_period!r}")
            for item in menu.items:
                if item.dish_id not in dishes:
                    raise ValueError(
                        f"menu {menu.meal_period!r} lists unknown dish {item.dish_id!r}"
                    )
        for set_meal in self.set_meals:
            if isinstance(set_meal, FixedSetMeal):
                for dish_id in set_meal.dish_ids:
                    if dish_id not in dishes:
                        raise ValueError(f"set meal {set_meal.id!r} lists unknown dish {dish_id!r}")
            else:
                for slot in set_meal.slots:
                    if slot.category not in categories:
                        raise ValueError(
                            f"set meal {set_meal.id!r} needs category {slot.category!r}, "
                            "which no dish has"
                        )
        return self

    def dish(self, dish_id: str) -> Dish | None:
        """The dish with this id, or None."""
        return next((d for d in self.dishes if d.id == dish_id), None)

    def category(self, code: str) -> Category | None:
        """The named category with this code, or None."""
        return next((c for c in self.categories if c.code == code), None)

    def station(self, code: str) -> Station | None:
        """The named station with this code, or None."""
        return next((s for s in self.stations if s.code == code), None)
