"""Outputs of the pricing engine: frozen, hashable, comparable with ``==``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rules.labels import Label


class PriceBasis(StrEnum):
    """Which price a line ended up at (one line discount at most: no stacking)."""

    LIST = "list"
    MEMBER_PRICE = "member_price"
    MEMBER_DAY = "member_day"
    SET_MEAL = "set_meal"


class PaymentSource(StrEnum):
    """Payment sources, declared in the ONE order the split uses them."""

    SUBSIDY = "subsidy"
    COUPON = "coupon"
    POINTS = "points"
    STORED_VALUE_PAID = "stored_value_paid"
    STORED_VALUE_BONUS = "stored_value_bonus"
    COUNTER = "counter"


PAYMENT_ORDER: tuple[PaymentSource, ...] = tuple(PaymentSource)
"""Subsidy, coupon, points, stored value (paid, then bonus), then the counter."""

PAYMENT_LABELS: dict[PaymentSource, Label] = {
    PaymentSource.SUBSIDY: Label("餐补", "Meal subsidy"),
    PaymentSource.COUPON: Label("优惠券", "Coupon"),
    PaymentSource.POINTS: Label("积分抵扣", "Points"),
    PaymentSource.STORED_VALUE_PAID: Label("储值余额", "Stored value"),
    PaymentSource.STORED_VALUE_BONUS: Label("赠送余额", "Bonus balance"),
    PaymentSource.COUNTER: Label("柜台付款", "Pay at counter"),
}


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A line after promotions: ``list_cents`` before, ``net_cents`` after discounts."""

    line_id: str
    dish_id: str
    category: str
    qty: int
    list_cents: int
    net_cents: int
    basis: PriceBasis
    set_meal: str | None = None


@dataclass(frozen=True, slots=True)
class Discount:
    """One discount on the receipt, with the lines it touched and a bilingual reason."""

    kind: str
    ref: str
    reason: Label
    amount_cents: int
    line_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Payment:
    """How much one source pays; ``points`` is the number of points spent (POINTS only)."""

    source: PaymentSource
    amount_cents: int
    label: Label
    points: int = 0


@dataclass(frozen=True, slots=True)
class PricedOrder:
    """The full priced order. ``total_cents`` = ``subtotal_cents`` - discounts = sum of payments."""

    lines: tuple[PricedLine, ...]
    subtotal_cents: int
    discounts: tuple[Discount, ...]
    total_cents: int
    payments: tuple[Payment, ...]
    coupon_code: str | None
    coupon_value_cents: int
    points_used: int
    points_earned: int

    @property
    def counter_due_cents(self) -> int:
        """What is left to pay at the counter (the order is unpaid until then)."""
        return self.paid_by(PaymentSource.COUNTER)

    @property
    def paid_in_full(self) -> bool:
        """True when nothing is due at the counter."""
        return self.counter_due_cents == 0

    @property
    def coupon_used(self) -> bool:
        """True when the coupon paid something (and so is consumed)."""
        return self.paid_by(PaymentSource.COUPON) > 0

    def paid_by(self, source: PaymentSource) -> int:
        """Amount paid by one source (0 when it did not pay)."""
        return sum(p.amount_cents for p in self.payments if p.source is source)
