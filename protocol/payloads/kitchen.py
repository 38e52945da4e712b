"""``order.state``: an order (or one station's ticket of it) changed state in the kitchen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Self

from pydantic import Field, model_validator

from protocol.fields import ORDER_NO_PATTERN, Code, UtcDatetime, Uuid7, WireModel

OrderState = Literal["in_preparation", "ready", "collected", "cancelled"]
"""Kitchen states after ``placed`` (which is the order.placed event itself)."""

STATION_STATES = frozenset({"in_preparation", "ready"})
ORDER_STATES = frozenset({"collected", "cancelled"})


class OrderStateChanged(WireModel):
    """A state change stamped with the time it happened on the device (``at``).

    ``station`` is set for a ticket's state (``in_preparation`` when a station
    starts or recalls it, ``ready`` when it is bumped) and absent for an
    order's (``collected``, ``cancelled``). ``stations`` lists every station of
    the order, so a receiver can tell when the whole order is ready without
    having seen order.placed (events may arrive out of order). ``recall`` marks an
    ``in_preparation`` a cook made by recalling a bumped ticket: only a recall can
    reopen a bump; a display's first-seen start (``recall`` false) never does.
    """

    order_id: Uuid7
    order_no: str = Field(pattern=ORDER_NO_PATTERN)
    state: OrderState
    at: UtcDatetime
    station: Code | None = None
    stations: tuple[Code, ...] = Field(min_length=1, max_length=32)
    recall: bool = False

    @model_validator(mode="after")
    def _station_matches_state(self) -> Self:
        if self.state in STATION_STATES and self.station is None:
            raise ValueError(f"state {self.state!r} belongs to a station: give station")
        if self.state in ORDER_STATES and self.station is not None:
            raise ValueError(f"state {self.state!r} is the whole order's: leave station out")
        if self.station is not None and self.station not in self.stations:
            raise ValueError(f"station {self.station!r} is not among the order's stations")
        if len(set(self.stations)) != len(self.stations):
            raise ValueError("stations must not repeat")
        if self.recall and self.state != "in_preparation":
            raise ValueError("recall is set only on an in_preparation (a recalled ticket)")
        return self


# ---- how a stream of order.state events is read (the same on devices and at the hub) ----

# At the same instant a bump outranks a recall, so a tie never moves a ticket back.
_RANK = {"in_preparation": 1, "ready": 2}


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """An order's state folded from its events; independent of their arrival order."""

    state: Literal["placed", "in_preparation", "ready", "collected", "cancelled"]
    stations: Mapping[str, tuple[str, datetime]]  # station -> (its state, since when)
    all_stations: tuple[str, ...]
    ready_at: datetime | None
    collected_at: datetime | None
    cancelled_at: datetime | None


def fold_states(
    events: Iterable[OrderStateChanged], stations: Iterable[str] = ()
) -> OrderStatus:
    """Fold events of one order: per station the latest bump or recall wins, a first-seen
    start only opens a ticket nothing else has touched (so a late start never undoes a bump,
    a recall made after the bump does); cancelled and collected are final; the order is
    ready when every station's ticket is ready."""
    decided: dict[str, tuple[str, datetime]] = {}  # latest bump or recall per station
    started: dict[str, datetime] = {}  # earliest first-seen start per station
    names: list[str] = list(dict.fromkeys(stations))
    collected = cancelled = None
    for ev in events:
        names.extend(s for s in ev.stations if s not in names)
        if ev.state == "collected":
            collected = ev.at if collected is None else min(collected, ev.at)
        elif ev.state == "cancelled":
            cancelled = ev.at if cancelled is None else min(cancelled, ev.at)
        elif ev.station is None:
            continue
        elif ev.state == "in_preparation" and not ev.recall:
            prior_start = started.get(ev.station)
            started[ev.station] = ev.at if prior_start is None else min(prior_start, ev.at)
        else:
            prior = decided.get(ev.station)
            if prior is None or (ev.at, _RANK[ev.state]) > (prior[1], _RANK[prior[0]]):
                decided[ev.station] = (ev.state, ev.at)
    latest = {s: ("in_preparation", at) for s, at in started.items()}
    latest.update(decided)
    all_ready = bool(names) and all(latest.get(s, ("", None))[0] == "ready" for s in names)
    ready_at = max(latest[s][1] for s in names) if all_ready else None
    state: Literal["placed", "in_preparation", "ready", "collected", "cancelled"]
    if cancelled is not None:
        state = "cancelled"
    elif collected is not None:
        state = "collected"
    elif all_ready:
        state = "ready"
    elif latest:
        state = "in_preparation"
    else:
        state = "placed"
    return OrderStatus(state, latest, tuple(names), ready_at, collected, cancelled)
