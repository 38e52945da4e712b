"""``bookings.snapshot`` (schema 1.1): a site's meal pre-bookings (报餐) of the day, for pick-up.

The hub publishes, retained on ``.../site/{site}/down/bookings``, every booking of the
site's current business day that is open or already picked up, and replaces it by version
like the catalog. A kiosk keeps the newest copy, so a member who booked can pick up the
meal with the hub unreachable: the kiosk records an order marked with the booking's id
(``OrderPlaced.booking_id``), paid by the booking (payment method ``booking``); the hub
charges the booking when it ingests that order (docs/supply.md, "Pick-up at the kiosk").
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from protocol.fields import (
    Cents,
    Code,
    Identifier,
    Name,
    Positive,
    UtcDatetime,
    WireModel,
)
from protocol.payloads.portions import ServiceDate

BOOKING_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
BookingId = Annotated[str, StringConstraints(pattern=BOOKING_ID_PATTERN)]
"""A booking's own id (the hub's ``supply_booking.uid``, a lowercase UUID)."""

BOOKING_QR_PREFIX = "BK1:"
"""A booking's pick-up QR reads ``BK1:{booking id}`` (a meal ticket, like a paper one)."""

MAX_BOOKINGS = 20_000
BookingKind = Literal["dish", "set_meal", "meal"]
BookingState = Literal["booked", "picked_up"]


class BookedMeal(WireModel):
    """One booking: who, which meal period, what (dish / set meal / "a meal"), the price."""

    booking_id: BookingId
    member_id: Identifier
    meal_period: Code
    kind: BookingKind
    dish_id: Identifier | None = None
    set_meal_id: Identifier | None = None
    qty: Annotated[int, Field(strict=True, ge=1, le=99)] = 1
    price_cents: Cents
    name_zh: Name
    name_en: Name
    status: BookingState = "booked"

    @model_validator(mode="after")
    def _names_what(self) -> Self:
        if (self.kind == "dish") != (self.dish_id is not None):
            raise ValueError("a dish booking, and only one, names dish_id")
        if (self.kind == "set_meal") != (self.set_meal_id is not None):
            raise ValueError("a set-meal booking, and only one, names set_meal_id")
        return self


class PlannedDish(WireModel):
    """The hub's forecast of a dish's portions for a meal period of the day (kitchen plan)."""

    meal_period: Code
    dish_id: Identifier
    name_zh: Name
    name_en: Name
    forecast: Annotated[int, Field(strict=True, ge=0, le=100_000)]


class BookingsSnapshot(WireModel):
    """A site's bookings of one business day, and the kitchen's plan for it; a higher
    version replaces a lower."""

    version: Positive
    generated_at: UtcDatetime
    service_date: ServiceDate
    bookings: tuple[BookedMeal, ...] = Field(default=(), max_length=MAX_BOOKINGS)
    # The newest stored forecast of the day per meal period and dish (hub.supply.forecast;
    # never below what is booked): what the kitchen display plans with. Optional.
    plan: tuple[PlannedDish, ...] = Field(default=(), max_length=MAX_BOOKINGS)

    @model_validator(mode="after")
    def _each_once(self) -> Self:
        ids = [b.booking_id for b in self.bookings]
        if len(set(ids)) != len(ids):
            raise ValueError("a booking_id appears twice")
        keys = [(p.meal_period, p.dish_id) for p in self.plan]
        if len(set(keys)) != len(keys):
            raise ValueError("a meal period and dish appear twice in the plan")
        return self


class RecordedDish(WireModel):
    """Portions of a dish the kitchen cooked for a meal period, and how many were left over."""

    dish_id: Identifier
    cooked: Annotated[int, Field(strict=True, ge=0, le=100_000)]
    left_over: Annotated[int, Field(strict=True, ge=0, le=100_000)] = 0

    @model_validator(mode="after")
    def _left_within_cooked(self) -> Self:
        if self.left_over > self.cooked:
            raise ValueError(f"left_over {self.left_over} is more than cooked {self.cooked}")
        return self


class PortionsRecorded(WireModel):
    """``portions.recorded`` (1.1, uplink from a kitchen display): what was cooked and left
    over of each dish in a meal period of a day; the hub keeps the newest per dish."""

    service_date: ServiceDate
    meal_period: Code
    at: UtcDatetime
    dishes: tuple[RecordedDish, ...] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _each_once(self) -> Self:
        ids = [d.dish_id for d in self.dishes]
        if len(set(ids)) != len(ids):
            raise ValueError("a dish appears twice")
        return self
