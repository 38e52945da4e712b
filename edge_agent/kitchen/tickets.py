"""Kitchen tickets as plain data: one per station of an order; all-day counts; ageing (no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from protocol.payloads.order import OrderPlaced

AgeLevel = Literal["fresh", "warn", "late"]

# Dietary and allergy codes a cook must not miss (catalog tags/allergens); shown loud.
ALERT_CODES = frozenset({
    "peanut", "tree_nut", "nuts", "gluten", "soy", "egg", "milk", "dairy", "fish", "shellfish",
    "sesame", "celery", "mustard", "sulphite", "halal", "vegan", "vegetarian", "no_spice",
})


@dataclass(frozen=True, slots=True)
class TicketItem:
    """One line of a ticket: what to cook, how many, how, and what to watch out for."""

    line_no: int
    dish_id: str
    name_zh: str
    name_en: str
    qty: int
    modifiers: tuple[tuple[str, str], ...] = ()  # (zh, en)
    weight_g: int | None = None
    flags: tuple[str, ...] = ()
    done: bool = False
    note: str = ""  # the diner's words for the cook ("no coriander")


@dataclass(frozen=True, slots=True)
class Ticket:
    """What one station has to make for one order; keyed by (order_id, station)."""

    order_id: str
    station: str
    order_no: str
    placed_at: datetime
    stations: tuple[str, ...]
    items: tuple[TicketItem, ...]
    bumped_at: datetime | None = None
    flags: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str]:
        """The idempotency key of a ticket."""
        return (self.order_id, self.station)


def split_order(
    order: OrderPlaced, flags_by_dish: Mapping[str, tuple[str, ...]] | None = None
) -> list[Ticket]:
    """One ticket per station, in the order the stations first appear on the order."""
    flags_by_dish = flags_by_dish or {}
    stations = tuple(dict.fromkeys(line.station for line in order.lines))
    per_station: dict[str, list[TicketItem]] = {s: [] for s in stations}
    for n, line in enumerate(order.lines, start=1):
        per_station[line.station].append(TicketItem(
            line_no=n, dish_id=line.dish_id, name_zh=line.name_zh, name_en=line.name_en,
            qty=line.qty, modifiers=tuple((m.name_zh, m.name_en) for m in line.modifiers),
            weight_g=line.weight_g, flags=tuple(flags_by_dish.get(line.dish_id, ())),
            note=line.note,
        ))
    tickets = []
    for station, items in per_station.items():
        flags = tuple(dict.fromkeys(f for it in items for f in it.flags))
        tickets.append(Ticket(order.order_id, station, order.order_no, order.placed_at,
                              stations, tuple(items), flags=flags))
    return tickets


def age_level(age_s: float, warn_after_s: float, late_after_s: float) -> AgeLevel:
    """fresh / warn / late at the configured thresholds."""
    if age_s >= late_after_s:
        return "late"
    if age_s >= warn_after_s:
        return "warn"
    return "fresh"


def all_day(tickets: Iterable[Ticket]) -> list[tuple[str, str, int]]:
    """(name_zh, name_en, qty still to make) per dish across open tickets, most first."""
    qty: Counter[str] = Counter()
    names: dict[str, tuple[str, str]] = {}
    for t in tickets:
        for it in t.items:
            if not it.done:
                qty[it.dish_id] += it.qty
                names[it.dish_id] = (it.name_zh, it.name_en)
    return [(names[d][0], names[d][1], n) for d, n in qty.most_common()]


def open_per_station(tickets: Sequence[Ticket]) -> dict[str, int]:
    """Count of open tickets per station."""
    return dict(Counter(t.station for t in tickets))
