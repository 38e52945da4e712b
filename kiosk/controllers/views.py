"""Plain, frozen view data the screens render: no Kivy, no catalog objects leak to the UI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.i18n import Text, text_of
from kiosk.services.catalog import unit_prices
from protocol.member_cache import CachedMember
from protocol.payloads.catalog import Dish
from rules.dietary import ALLERGENS, DISH_TAGS, validate_allergens
from rules.money import format_cents


@dataclass(frozen=True)
class Badge:
    """A dietary tag or allergen icon: stable code (icon file) and label."""

    code: str
    label: Text


NO_ORIGIN = Text("", "")


@dataclass(frozen=True)
class DishCard:
    """One dish as the menu shows it."""

    dish_id: str
    name: Text
    description: Text
    category: str
    price_cents: int
    price_text: str
    member_price_cents: int | None
    member_price_text: str | None
    per_100g: bool
    tags: tuple[Badge, ...]
    allergens: tuple[Badge, ...]
    kcal: int | None
    image: str | None
    sold_out: bool
    origin: Text = NO_ORIGIN  # where today's main ingredients came from (if published)


def dish_card(dish: Dish, weighed: bool) -> DishCard:
    """Card data for a catalog dish; tag and allergen labels come from rules.dietary."""
    tags = tuple(Badge(c, text_of(DISH_TAGS[c].zh, DISH_TAGS[c].en))
                 for c in dish.tags if c in DISH_TAGS)
    allergens = tuple(Badge(c, text_of(ALLERGENS[c].zh, ALLERGENS[c].en))
                      for c in sorted(validate_allergens(dish.allergens)))
    price, member = unit_prices(dish)  # per 100 g for a weighed dish
    return DishCard(
        dish_id=dish.id,
        name=Text(dish.name_zh, dish.name_en),
        description=Text(dish.description_zh, dish.description_en),
        category=dish.category,
        price_cents=price,
        price_text=format_cents(price),
        member_price_cents=member,
        member_price_text=format_cents(member) if member is not None else None,
        per_100g=weighed,
        tags=tags,
        allergens=allergens,
        kcal=dish.kcal,
        image=dish.image,
        sold_out=dish.sold_out,
        origin=origin_text(dish),
    )


def origin_text(dish: Dish) -> Text:
    """The diner-facing "食材来源：鸡腿肉 绿源农场 批次 …" line; empty when unpublished."""
    if not dish.origins:
        return NO_ORIGIN
    zh = "；".join(f"{o.ingredient_zh} {o.supplier_zh} 批次 {o.lot_date}" for o in dish.origins)
    en = "; ".join(f"{o.ingredient_en}: {o.supplier_en}, lot {o.lot_date}"
                   for o in dish.origins)
    return Text("食材来源：" + zh, "Sourced: " + en)


@dataclass(frozen=True)
class MemberView:
    """The greeting: who, which tier, what they can spend, and what waits for them."""

    member_id: str
    name: str
    tier: Text
    balance_text: str
    subsidy_text: str
    points: int
    offers: tuple[Text, ...] = ()
    ask_feedback_for: str | None = None  # order id of the last meal, not yet rated
    bonus_text: str = ""  # top-up bonus, spent after the paid balance ("" when none)
    diet: tuple[Text, ...] = ()  # filters pre-set from the member's profile
    greetings: tuple[Text, ...] = ()  # CRM greetings, follow-ups (kiosk.services.member_messages)


def member_view(member: CachedMember, tier: Text | None,
                ask_feedback_for: str | None = None, *,
                offers: tuple[Text, ...] = (), diet: tuple[Text, ...] = (),
                greetings: tuple[Text, ...] = ()) -> MemberView:
    """Greeting data for a cached member (``tier``: the catalog's tier name)."""
    return MemberView(
        member_id=member.member_id,
        name=member.display_name,
        tier=tier or Text(member.tier, member.tier),
        balance_text=format_cents(member.balance_cents),
        subsidy_text=format_cents(member.subsidy_cents),
        points=member.points,
        offers=offers,
        ask_feedback_for=ask_feedback_for,
        bonus_text=format_cents(member.bonus_cents) if member.bonus_cents else "",
        diet=diet,
        greetings=greetings,
    )


@dataclass(frozen=True)
class PeriodView:
    """The meal period on the attract screen."""

    code: str
    name: Text
    start: str
    end: str
    serving: bool


@dataclass(frozen=True)
class ReadyEstimate:
    """Done screen: when the food should be ready (site local time)."""

    at: datetime
    minutes: int
    local_text: str
