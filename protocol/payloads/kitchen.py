"""``order.state``: an order (or one station's ticket of it) changed state in the kitchen."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from protocol.fields import Code, UtcDatetime, Uuid7, WireModel

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
    having seen order.placed (events may arrive out of order).
    """

    order_id: Uuid7
    order_no: str = Field(pattern=r"^[A-Z0-9-]{1,12}$")
    state: OrderState
    at: UtcDatetime
    station: Code | None = None
    stations: tuple[Code, ...] = Field(min_length=1, max_length=32)

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
        return self
