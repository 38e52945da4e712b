"""The menu as the kiosk reads it: catalog snapshot from the store, meal periods, set meals."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from edge_agent.store import DeviceStore
from kiosk.config import OptionGroup
from protocol.payloads.catalog import CatalogSnapshot, Dish, FixedSetMeal, MealPeriod
from rules.labels import Label
from rules.order import SetMealOffer, SetMealSlot

log = logging.getLogger(__name__)


class CatalogService:
    """Reads the last good catalog, re-reading only when its version changes."""

    def __init__(
        self,
        store: DeviceStore,
        timezone: str,
        *,
        weighed_categories: tuple[str, ...] = ("buffet",),
        options: tuple[OptionGroup, ...] = (),
    ) -> None:
        """Nothing is read until the first call."""
        self.store = store
        self.tz = ZoneInfo(timezone)
        self.weighed_categories = frozenset(weighed_categories)
        self.options = options
        self._snapshot: CatalogSnapshot | None = None
        self._version: int | None = None

    def refresh(self) -> bool:
        """Re-read the catalog if the agent applied a new version; True when it changed."""
        version = self.store.versions().get("catalog")
        if version == self._version and self._snapshot is not None:
            return False
        self._snapshot = self.store.catalog()
        self._version = version
        log.info("catalog version %s loaded", version)
        return True

    @property
    def snapshot(self) -> CatalogSnapshot | None:
        """The current catalog (None before the first one arrived)."""
        if self._snapshot is None:
            self.refresh()
        return self._snapshot

    @property
    def version(self) -> int | None:
        """Version of the catalog in use."""
        return self._version

    def local_time(self, now: datetime) -> datetime:
        """``now`` in the site's timezone."""
        return now.astimezone(self.tz)

    def meal_period(self, now: datetime) -> MealPeriod | None:
        """The meal period being served at ``now`` (site local time), or None."""
        snap = self.snapshot
        if snap is None:
            return None
        hhmm = self.local_time(now).strftime("%H:%M")
        return next((p for p in snap.meal_periods if p.contains(hhmm)), None)

    def next_meal_period(self, now: datetime) -> MealPeriod | None:
        """The next meal period later today, for an attract screen between meals."""
        snap = self.snapshot
        if snap is None:
            return None
        hhmm = self.local_time(now).strftime("%H:%M")
        later = sorted((p for p in snap.meal_periods if p.start > hhmm), key=lambda p: p.start)
        return later[0] if later else None

    def menu(self, period: str) -> list[Dish]:
        """Dishes on the menu of ``period`` (available items, menu order), sold-out included."""
        snap = self.snapshot
        if snap is None:
            return []
        menu = next((m for m in snap.menus if m.meal_period == period), None)
        if menu is None:
            return []
        dishes = {d.id: d for d in snap.dishes}
        return [dishes[i.dish_id] for i in menu.items if i.available and i.dish_id in dishes]

    def dish(self, dish_id: str) -> Dish | None:
        """The dish with this id in the current catalog."""
        snap = self.snapshot
        return None if snap is None else snap.dish(dish_id)

    def sellable(self, dish_id: str, period: str | None) -> bool:
        """On the period's menu, available and not sold out (read from the latest catalog)."""
        if period is None:
            return False
        return any(d.id == dish_id and not d.sold_out for d in self.menu(period))

    def is_weighed(self, dish: Dish) -> bool:
        """Priced per 100 g from the scale (by category: the wire has no weighed flag yet)."""
        return dish.category in self.weighed_categories

    def options_for(self, dish: Dish) -> tuple[OptionGroup, ...]:
        """Option groups offered on this dish (none on weighed dishes)."""
        if self.is_weighed(dish):
            return ()
        return tuple(g for g in self.options if not g.categories or dish.category in g.categories)

    def set_meal_offers(self) -> tuple[SetMealOffer, ...]:
        """The catalog's set meals as the pricing engine's offers."""
        snap = self.snapshot
        if snap is None:
            return ()
        return tuple(set_meal_offer(s) for s in snap.set_meals)


def set_meal_offer(set_meal: object) -> SetMealOffer:
    """Translate a wire set meal into a rules offer: a fixed combo gets one slot per dish."""
    from protocol.payloads.catalog import BuildSetMeal

    if isinstance(set_meal, FixedSetMeal):
        counts = Counter(set_meal.dish_ids)
        slots = tuple(
            SetMealSlot(code=dish_id, name=Label(dish_id, dish_id), count=n,
                        dish_ids=frozenset({dish_id}))
            for dish_id, n in counts.items()
        )
    elif isinstance(set_meal, BuildSetMeal):
        slots = tuple(
            SetMealSlot(code=f"{i}-{slot.category}", name=Label(slot.category, slot.category),
                        count=slot.count, categories=frozenset({slot.category}))
            for i, slot in enumerate(set_meal.slots, start=1)
        )
    else:  # pragma: no cover - the wire's discriminated union has two kinds
        raise TypeError(f"unknown set meal {set_meal!r}")
    return SetMealOffer(
        code=set_meal.id,
        name=Label(set_meal.name_zh, set_meal.name_en),
        price_cents=set_meal.price_cents,
        slots=slots,
    )
