"""Menu step: the current meal period's dishes by category, dietary filters, recommendations."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kiosk.controllers.context import Services, Session
from kiosk.controllers.observable import Observable
from kiosk.controllers.views import DishCard, dish_card
from kiosk.i18n import Text, text_of
from kiosk.recommend import RecommendContext, explain, recommend
from protocol.member_cache import CachedMember
from protocol.payloads.catalog import BuildSetMeal, Dish
from rules.dietary import ALLERGENS, PREFERENCES, DietaryFilter
from rules.money import format_cents

log = logging.getLogger(__name__)


SWITCHES = ("halal", "vegetarian", "no_spice", "hide_allergens", "vegan")


@dataclass(frozen=True)
class Filters:
    """The diner's dietary switches; a member's profile pre-sets them (``from_profile``)."""

    halal: bool = False
    vegetarian: bool = False
    no_spice: bool = False
    hide_allergens: frozenset[str] = frozenset()
    vegan: bool = False

    def dietary(self) -> DietaryFilter:
        """The one dietary filter of rules.dietary built from these switches."""
        return DietaryFilter(halal=self.halal, vegetarian=self.vegetarian, vegan=self.vegan,
                             no_spice=self.no_spice, hide_allergens=self.hide_allergens)

    @classmethod
    def from_profile(cls, member: CachedMember) -> Filters:
        """Switches from the member's consented preferences and allergens (rules.dietary).

        A code this kiosk's rules do not know is left out (logged), never a refusal: the
        diner can still set every switch by hand.
        """
        prefs = [c for c in member.preferences if c in PREFERENCES]
        allergens = [c for c in member.allergens if c in ALLERGENS]
        unknown = set(member.preferences) - set(prefs) | set(member.allergens) - set(allergens)
        if unknown:
            log.warning("member %s: unknown dietary codes %s ignored", member.member_id,
                        sorted(unknown))
        diet = DietaryFilter.from_profile(prefs, allergens)
        return cls(halal=diet.halal, vegetarian=diet.vegetarian, no_spice=diet.no_spice,
                   hide_allergens=diet.hide_allergens, vegan=diet.vegan)

    def labels(self) -> tuple[Text, ...]:
        """What is switched on, for the greeting ("Halal", "No peanuts")."""
        out = [text_of(PREFERENCES[c].zh, PREFERENCES[c].en)
               for c in ("halal", "vegetarian", "vegan", "no_spice") if getattr(self, c)]
        out += [text_of(f"不含{ALLERGENS[c].zh}", f"No {ALLERGENS[c].en.lower()}")
                for c in sorted(self.hide_allergens)]
        return tuple(out)


@dataclass(frozen=True)
class Category:
    """A category tab with its dishes (after filters)."""

    code: str
    dishes: tuple[DishCard, ...]
    name: Text | None = None  # from the catalog; None: the screen uses its own label


@dataclass(frozen=True)
class SetMealCard:
    """A set meal offered on the menu."""

    set_meal_id: str
    name: Text
    price_text: str
    kind: str


@dataclass(frozen=True)
class MenuState:
    """What the menu screen shows."""

    period: str | None = None
    catalog_version: int | None = None
    categories: tuple[Category, ...] = ()
    set_meals: tuple[SetMealCard, ...] = ()
    recommended: tuple[DishCard, ...] = ()
    reason: Text | None = None  # one line on why the recommended row holds what it holds
    filters: Filters = field(default_factory=Filters)
    hidden_count: int = 0


class MenuController(Observable[MenuState]):
    """Builds the menu view; re-reads when the catalog version changes (sold-out is live)."""

    def __init__(self, services: Services, session: Session) -> None:
        """Start empty; ``load()`` fills it."""
        super().__init__(MenuState())
        self.s = services
        self.session = session

    def load(self, filters: Filters | None = None) -> None:
        """(Re)build the menu for the session's meal period and these filters."""
        filters = filters or self.state.filters
        self.session.diet = filters.dietary()
        period = self.session.period
        if period is None:
            self._set(MenuState(filters=filters))
            return
        cat = self.s.catalog
        dishes = cat.menu(period.code)
        shown = self.session.diet.apply(dishes)
        categories: dict[str, list[DishCard]] = {}
        for dish in shown:
            categories.setdefault(dish.category, []).append(dish_card(dish, cat.is_weighed(dish)))
        now = self.s.clock.now()
        local = cat.local_time(now)
        member = self.session.member
        context = RecommendContext(self.s.config.site_id, period.code, now, local.weekday(),
                                   member.member_id if member else None,
                                   preferences=tuple(member.preferences) if member else (),
                                   period_name=(period.name_zh, period.name_en))
        recs = recommend(self.s.recommender, context, dishes, self.session.diet,
                         self.s.config.recommendations)
        why = explain(self.s.recommender, context, recs)
        snap = cat.snapshot
        set_meals = tuple(
            SetMealCard(sm.id, Text(sm.name_zh, sm.name_en), format_cents(sm.price_cents),
                        "build" if isinstance(sm, BuildSetMeal) else "fixed")
            for sm in (snap.set_meals if snap else ())
        )
        self._set(MenuState(
            period=period.code,
            catalog_version=cat.version,
            categories=tuple(Category(c, tuple(categories[c]), cat.category_name(c))
                             for c in cat.category_order(list(categories))),
            set_meals=set_meals,
            recommended=tuple(dish_card(d, cat.is_weighed(d)) for d in recs),
            reason=Text(why.zh, why.en) if why is not None and recs else None,
            filters=filters,
            hidden_count=len(dishes) - len(shown),
        ))

    def set_filters(self, **switches: object) -> None:
        """Flip dietary switches (halal, vegetarian, no_spice, hide_allergens) and rebuild."""
        current = self.state.filters
        values = {k: getattr(current, k) for k in SWITCHES}
        values.update(switches)
        self.load(Filters(**values))

    def catalog_changed(self) -> bool:
        """Re-read the catalog if the agent applied a new version; rebuild when it did."""
        if self.s.catalog.refresh():
            self.load()
            return True
        return False

    def visible_dishes(self) -> list[Dish]:
        """Catalog dishes currently shown (for tests and the set-meal builder)."""
        period = self.session.period
        if period is None:
            return []
        return self.session.diet.apply(self.s.catalog.menu(period.code))
