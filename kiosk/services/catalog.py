"""The menu as the kiosk reads it: catalog snapshot from the store, meal periods, set meals."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from edge_agent import portions
from edge_agent.store import DeviceStore
from kiosk.i18n import Text
from kiosk.services import offers
from protocol.payloads.catalog import CatalogSnapshot, Dish, FixedSetMeal, MealPeriod
from protocol.payloads.offers import OptionGroup
from rules.labels import Label
from rules.order import PointsRate, Promotions, SetMealOffer, SetMealSlot, Tier

log = logging.getLogger(__name__)


class CatalogService:
    """Reads the last good catalog, re-reading only when its version changes."""

    def __init__(self, store: DeviceStore, timezone: str) -> None:
        """Nothing is read until the first call."""
        self.store = store
        self.tz = ZoneInfo(timezone)
        self._snapshot: CatalogSnapshot | None = None
        self._version: int | None = None
        # (meal period, dish) with no portions left, from the site's portion counts
        self._gone: frozenset[tuple[str, str]] = frozenset()
        # False while the hub's scale_enabled switch is off: weighed dishes are then left off
        # the menu like an item the catalog marks unavailable (kiosk.controllers.remote).
        self.sells_weighed = True

    def refresh(self) -> bool:
        """Re-read the catalog if the agent applied a new version, and the portions left;
        True when either changed (a dish sold out or back)."""
        gone = self._portions_gone()
        changed = gone != self._gone
        self._gone = gone
        version = self.store.versions().get("catalog")
        if version == self._version and self._snapshot is not None:
            return changed
        self._snapshot = self.store.catalog()
        self._version = version
        log.info("catalog version %s loaded", version)
        return True

    def _portions_gone(self) -> frozenset[tuple[str, str]]:
        day = self.store.clock().astimezone(self.tz).date().isoformat()
        return portions.sold_out(self.store.conn, device_id=self.store.device_id, day=day)

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
        """Dishes on the menu of ``period`` (available items, menu order), sold-out included;
        weighed dishes only while the scale is on."""
        snap = self.snapshot
        if snap is None:
            return []
        menu = next((m for m in snap.menus if m.meal_period == period), None)
        if menu is None:
            return []
        dishes = {d.id: d for d in snap.dishes}
        return [self._counted(dishes[i.dish_id], period) for i in menu.items
                if i.available and i.dish_id in dishes
                and (self.sells_weighed or not self.is_weighed(dishes[i.dish_id]))]

    def _counted(self, dish: Dish, period: str) -> Dish:
        """The dish, sold out when the site's portion counts say none is left."""
        if dish.sold_out or (period, dish.id) not in self._gone:
            return dish
        return dish.model_copy(update={"sold_out": True})

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
        """Priced per 100 g from the scale (the dish has ``price_per_100g_cents``)."""
        return dish.price_per_100g_cents is not None

    def options_for(self, dish: Dish) -> tuple[OptionGroup, ...]:
        """The dish's own option groups (portion, spice...); none on weighed dishes."""
        return () if self.is_weighed(dish) else dish.options

    def promotions(self) -> Promotions:
        """Member day, spend-save and set meals of the current catalog, as engine inputs."""
        return offers.promotions(self.snapshot, self.set_meal_offers())

    def tier(self, code: str) -> Tier:
        """A member tier's benefits from the catalog's offers."""
        return offers.tier(self.snapshot, code)

    def points_rate(self) -> PointsRate:
        """What points are worth when paying."""
        return offers.points_rate(self.snapshot)

    def set_meal_offers(self) -> tuple[SetMealOffer, ...]:
        """The catalog's set meals as the pricing engine's offers."""
        snap = self.snapshot
        if snap is None:
            return ()
        return tuple(set_meal_offer(s, snap) for s in snap.set_meals)

    def category_name(self, code: str) -> Text | None:
        """The category's bilingual name from the catalog (None: the catalog names none)."""
        snap = self.snapshot
        category = snap.category(code) if snap is not None else None
        return None if category is None else Text(category.name_zh, category.name_en)

    def category_order(self, codes: list[str]) -> list[str]:
        """Category codes in the catalog's ``sort`` order (unnamed ones keep their order, last)."""
        snap = self.snapshot
        rank = {c.code: (c.sort, c.code) for c in snap.categories} if snap is not None else {}
        named = sorted((c for c in codes if c in rank), key=rank.__getitem__)
        return named + [c for c in codes if c not in rank]

    def station_name(self, code: str) -> Text | None:
        """The kitchen station's bilingual name from the catalog (None: not named)."""
        snap = self.snapshot
        station = snap.station(code) if snap is not None else None
        return None if station is None else Text(station.name_zh, station.name_en)


def unit_prices(dish: Dish) -> tuple[int, int | None]:
    """(list, member) unit price of a line: per 100 g for a weighed dish, else per portion.

    A weighed dish's ``member_price_cents`` is read per 100 g too (protocol: "member price
    then per 100 g too").
    """
    price = dish.price_cents if dish.price_per_100g_cents is None else dish.price_per_100g_cents
    member = dish.member_price_cents
    return price, member if member is not None and member <= price else None


def set_meal_offer(set_meal: object, snapshot: CatalogSnapshot | None = None) -> SetMealOffer:
    """Translate a wire set meal into a rules offer: a fixed combo gets one slot per dish.

    A build slot is named by its category's catalog name when the catalog has one (else by
    its code, which screens turn into their own label); a fixed combo's slot by its dish.
    """
    from protocol.payloads.catalog import BuildSetMeal

    def slot_name(code: str) -> Label:
        category = snapshot.category(code) if snapshot is not None else None
        return Label(category.name_zh, category.name_en) if category else Label(code, code)

    def dish_name(dish_id: str) -> Label:
        dishes = snapshot.dishes if snapshot is not None else ()
        dish = next((d for d in dishes if d.id == dish_id), None)
        return Label(dish.name_zh, dish.name_en) if dish else Label(dish_id, dish_id)

    if isinstance(set_meal, FixedSetMeal):
        counts = Counter(set_meal.dish_ids)
        slots = tuple(
            SetMealSlot(code=dish_id, name=dish_name(dish_id), count=n,
                        dish_ids=frozenset({dish_id}))
            for dish_id, n in counts.items()
        )
    elif isinstance(set_meal, BuildSetMeal):
        slots = tuple(
            SetMealSlot(code=f"{i}-{slot.category}", name=slot_name(slot.category),
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
