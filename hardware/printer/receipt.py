"""The receipt a kiosk asks to print: a plain model with int-cent amounts, independent of rules/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

MoneyFormatter = Callable[[int], str]


def default_money(cents: int) -> str:
    """Format as "￥12.34" with U+FFE5 (GBK printers garble U+00A5); kiosks may pass their own."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}￥{cents // 100}.{cents % 100:02d}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Modifier(_Strict):
    """An option on a line (extra spicy, no onion), with its surcharge (negative: cheaper)."""

    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(default="", max_length=60)
    price_cents: int = Field(default=0, ge=-100_000)


class ReceiptLine(_Strict):
    """One dish: quantity × unit price (plus modifiers), less its discount.

    A weighed dish carries its grams, ``unit_price_cents`` is then the plate's amount and
    ``per_100g_cents`` the price it came from. ``discount_cents`` (member price, member day,
    set meal, spend-save share) prints as its own line under the list price.
    """

    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(default="", max_length=60)
    qty: int = Field(ge=1, le=999)
    unit_price_cents: int = Field(ge=0)
    modifiers: tuple[Modifier, ...] = ()
    weight_g: int | None = Field(default=None, ge=1)
    per_100g_cents: int | None = Field(default=None, ge=0)
    discount_cents: int = Field(default=0, ge=0)
    discount_zh: str = Field(default="优惠", max_length=40)
    discount_en: str = Field(default="Discount", max_length=60)

    @property
    def list_cents(self) -> int:
        """Before the discount: (unit price + modifiers) × quantity."""
        return (self.unit_price_cents + sum(m.price_cents for m in self.modifiers)) * self.qty

    @property
    def total_cents(self) -> int:
        """Line total: the list amount less the line's discount."""
        return self.list_cents - self.discount_cents

    @model_validator(mode="after")
    def _not_negative(self) -> ReceiptLine:
        if self.list_cents < 0:
            raise ValueError("modifiers make the line negative")
        if self.discount_cents > self.list_cents:
            raise ValueError("the discount is larger than the line")
        return self


class Payment(_Strict):
    """How the subtotal was settled; the parts must add up to the subtotal."""

    subsidy_cents: int = Field(default=0, ge=0)
    coupon_cents: int = Field(default=0, ge=0)
    points_used: int = Field(default=0, ge=0)
    points_cents: int = Field(default=0, ge=0)
    stored_value_cents: int = Field(default=0, ge=0)
    other_cents: int = Field(default=0, ge=0)
    other_method: str = Field(default="", max_length=30)

    @property
    def total_cents(self) -> int:
        """Sum of all settlement parts."""
        return (
            self.subsidy_cents
            + self.coupon_cents
            + self.points_cents
            + self.stored_value_cents
            + self.other_cents
        )


class Balances(_Strict):
    """Member balances after this payment (None: not shown)."""

    stored_value_cents: int | None = None
    subsidy_cents: int | None = None
    points: int | None = None


class Receipt(_Strict):
    """Everything printed on one receipt."""

    canteen_name: str = Field(min_length=1, max_length=60)
    order_no: str = Field(min_length=1, max_length=12, pattern=r"^[0-9A-Za-z-]+$")
    order_id: str = Field(min_length=1, max_length=64)
    created_at: AwareDatetime
    timezone: str = "Asia/Shanghai"
    lines: tuple[ReceiptLine, ...] = Field(min_length=1)
    payment: Payment
    balances: Balances = Balances()
    member_name: str = Field(default="", max_length=40)
    qr_payload: str = Field(default="", max_length=300)
    reprint: bool = False
    # Lines the canteen wants the member to read (a campaign's message and offer), each
    # already in both languages; printed above the thank-you.
    notes: tuple[str, ...] = Field(default=(), max_length=4)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown timezone {value!r}") from err
        return value

    @property
    def subtotal_cents(self) -> int:
        """Sum of line totals."""
        return sum(line.total_cents for line in self.lines)

    @model_validator(mode="after")
    def _payment_adds_up(self) -> Receipt:
        if self.payment.total_cents != self.subtotal_cents:
            raise ValueError(
                f"payment parts add up to {self.payment.total_cents} cents "
                f"but the lines total {self.subtotal_cents} cents"
            )
        if self.payment.points_cents and not self.payment.points_used:
            raise ValueError("points_cents given without points_used")
        return self

    def local_time(self) -> datetime:
        """created_at in the site's timezone (receipts show local time)."""
        from zoneinfo import ZoneInfo

        return self.created_at.astimezone(ZoneInfo(self.timezone))
