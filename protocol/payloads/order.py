"""``order.placed``: an order priced and paid (or to pay at the counter) on a kiosk."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from protocol.fields import (
    ORDER_NO_PATTERN,
    Cents,
    Code,
    Flag,
    Identifier,
    Name,
    ShortText,
    SignedCents,
    UtcDatetime,
    Uuid7,
    WireModel,
)
from protocol.payloads.bookings import BookingId
from protocol.payloads.pricing_context import PricingContext

PaymentMethod = Literal["subsidy", "coupon", "points", "stored_value", "counter", "booking"]
"""How a share of an order is paid; ``counter`` means: still to be paid at the counter;
``booking`` (1.1): paid by the pre-booking named in ``OrderPlaced.booking_id`` (reference =
its id), charged by the hub when it ingests the order."""

MAX_LINES = 100
MAX_QTY = 999
MAX_WEIGHT_G = 100_000


class Modifier(WireModel):
    """An option chosen on a line (extra egg, less rice); its price delta may be negative."""

    code: Code
    name_zh: Name
    name_en: Name
    price_delta_cents: SignedCents = 0


class OrderLine(WireModel):
    """One dish on an order, priced on the device.

    For a counted dish ``line_total_cents == qty * (unit_price_cents + sum of
    modifier deltas)``. For a weighed dish (``weight_g`` set) the total comes
    from the scale and the pricing rules, so it is only checked to be >= 0.
    """

    dish_id: Identifier
    name_zh: Name
    name_en: Name
    qty: Annotated[int, Field(strict=True, ge=1, le=MAX_QTY)]
    unit_price_cents: Cents
    weight_g: Annotated[int, Field(strict=True, ge=1, le=MAX_WEIGHT_G)] | None = None
    modifiers: tuple[Modifier, ...] = Field(default=(), max_length=20)
    line_total_cents: Cents
    station: Code
    # The diner's words for the kitchen ("no coriander"); optional, so messages
    # written before it existed stay valid.
    note: ShortText = ""

    @model_validator(mode="after")
    def _total_matches_price(self) -> Self:
        if self.weight_g is None:
            unit = self.unit_price_cents + sum(m.price_delta_cents for m in self.modifiers)
            expected = self.qty * unit
            if self.line_total_cents != expected:
                raise ValueError(
                    f"line_total_cents {self.line_total_cents} != qty {self.qty} x "
                    f"(unit price + modifiers) {unit} = {expected}"
                )
        return self


class Payment(WireModel):
    """One share of the order total and how it is (or will be) paid."""

    method: PaymentMethod
    amount_cents: Cents
    reference: ShortText | None = None


class OrderPlaced(WireModel):
    """An order placed on a device; every amount in fen, every total consistent."""

    order_id: Uuid7
    order_no: Annotated[str, Field(pattern=ORDER_NO_PATTERN)]
    placed_at: UtcDatetime
    meal_period: Code
    member_id: Identifier | None = None
    lines: tuple[OrderLine, ...] = Field(min_length=1, max_length=MAX_LINES)
    subtotal_cents: Cents
    discount_cents: Cents = 0
    total_cents: Cents
    payments: tuple[Payment, ...] = Field(default=(), max_length=20)
    paid: Flag
    offline: Flag = False
    # What the kiosk priced with beyond the lines (set meals, coupon, tier...), so the hub
    # re-prices with the same engine; optional, so older messages stay valid.
    pricing: PricingContext | None = None
    # 1.1: the pick-up of a meal pre-booking (docs/supply.md); its price is the booking's.
    booking_id: BookingId | None = None

    @model_validator(mode="after")
    def _amounts_add_up(self) -> Self:
        lines_sum = sum(line.line_total_cents for line in self.lines)
        if lines_sum != self.subtotal_cents:
            raise ValueError(
                f"line totals add up to {lines_sum}, but subtotal_cents is {self.subtotal_cents}"
            )
        if self.subtotal_cents - self.discount_cents != self.total_cents:
            raise ValueError(
                f"subtotal_cents {self.subtotal_cents} - discount_cents {self.discount_cents} "
                f"!= total_cents {self.total_cents}"
            )
        paid_sum = sum(p.amount_cents for p in self.payments)
        if paid_sum != self.total_cents:
            raise ValueError(
                f"payments add up to {paid_sum}, but total_cents is {self.total_cents}"
            )
        at_counter = any(p.method == "counter" and p.amount_cents > 0 for p in self.payments)
        if self.paid and at_counter:
            raise ValueError("paid is true but part of the total is still to pay at the counter")
        if not self.paid and not at_counter:
            raise ValueError("paid is false but no share is left to pay at the counter")
        if self.pricing is not None:
            self.pricing.check_lines(len(self.lines))
        by_booking = [p for p in self.payments if p.method == "booking"]
        if by_booking and self.booking_id is None:
            raise ValueError("a booking payment needs booking_id")
        if self.booking_id is not None:
            if self.member_id is None:
                raise ValueError("a booking pick-up names the member")
            if any(p.reference != self.booking_id for p in by_booking):
                raise ValueError("a booking payment's reference is the order's booking_id")
        return self

    @property
    def is_guest(self) -> bool:
        """True when no member was identified."""
        return self.member_id is None
