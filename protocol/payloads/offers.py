"""Parts of the catalog the kiosk prices with: options, promotions, tiers, points, coupons.

Shapes mirror the pricing engine's inputs (``rules.order``) so a device turns them into
engine inputs field by field, and the hub fills them from the same tables it prices with.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from protocol.fields import Cents, Code, Flag, Identifier, Name, UtcDatetime, WireModel

BasisPoints = Annotated[int, Field(strict=True, ge=0, le=10_000)]
"""A share in 1/100 of a percent: 1000 = 10 %."""

SignedCents = Annotated[int, Field(strict=True, ge=-100_000, le=100_000)]
"""A price change in fen; an option may make a dish cheaper (small portion)."""


class OptionChoice(WireModel):
    """One choice of an option group, e.g. "large portion" (+￥2.00)."""

    code: Code
    name_zh: Name
    name_en: Name
    price_delta_cents: SignedCents = 0


class OptionGroup(WireModel):
    """Options of a dish the diner picks from (portion, spice level, rice or noodles)."""

    code: Code
    name_zh: Name
    name_en: Name
    required: Flag = False
    choices: tuple[OptionChoice, ...] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _unique_choices(self) -> Self:
        codes = [c.code for c in self.choices]
        if len(set(codes)) != len(codes):
            raise ValueError(f"option group {self.code!r} repeats a choice")
        return self


class Window(WireModel):
    """When a promotion applies (UTC); open ends mean always."""

    valid_from: UtcDatetime | None = None
    valid_until: UtcDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class MemberDay(WireModel):
    """Members get ``percent_bp`` off non-set lines while the window is open."""

    percent_bp: BasisPoints
    window: Window = Window()


class SpendSave(WireModel):
    """Spend at least ``threshold_cents``, save ``save_cents``."""

    code: Code
    threshold_cents: Cents
    save_cents: Cents
    members_only: Flag = False
    window: Window = Window()

    @model_validator(mode="after")
    def _saves_less_than_spent(self) -> Self:
        if self.save_cents >= self.threshold_cents:
            raise ValueError(f"spend-save {self.code!r} saves as much as it asks to spend")
        return self


MAX_POINTS_MULTIPLIER_PCT = 1000
"""A tier earns at most ten times the base points (1000 %)."""


class TierBenefit(WireModel):
    """What a member tier gets at the kiosk."""

    code: Code
    name_zh: Name
    name_en: Name
    member_price: Flag = True
    points_multiplier_pct: Annotated[
        int, Field(strict=True, ge=0, le=MAX_POINTS_MULTIPLIER_PCT)
    ] = 100


class PointsRate(WireModel):
    """``points`` points are worth ``cents`` fen when redeemed."""

    points: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = 100
    cents: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = 100


class CouponTemplate(WireModel):
    """What a coupon of this template gives, field by field ``rules.order.Coupon``.

    A scanned coupon code (protocol.tokens CC1) names its template by ``code``; the device
    prices it with these terms, inside this window and the code's own expiry.
    """

    code: Identifier
    name_zh: Name
    name_en: Name
    kind: Literal["amount_off", "percent_off", "free_dish"]
    amount_cents: Cents = 0
    percent_bp: BasisPoints = 0
    max_off_cents: Cents | None = None
    dish_id: Identifier | None = None
    min_spend_cents: Cents = 0
    dish_ids: tuple[Identifier, ...] = Field(default=(), max_length=200)
    categories: tuple[Code, ...] = Field(default=(), max_length=50)
    window: Window = Window()

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        # The checks rules.order.Coupon makes, so a device never fails building one.
        if self.kind == "amount_off" and self.amount_cents <= 0:
            raise ValueError(f"coupon template {self.code!r}: amount_off needs amount_cents > 0")
        if self.kind == "percent_off" and self.percent_bp <= 0:
            raise ValueError(f"coupon template {self.code!r}: percent_off needs percent_bp > 0")
        if self.kind == "free_dish" and not self.dish_id:
            raise ValueError(f"coupon template {self.code!r}: free_dish needs dish_id")
        return self


class Offers(WireModel):
    """Promotions and member benefits of a site, priced by ``rules`` on the device."""

    member_day: MemberDay | None = None
    spend_save: tuple[SpendSave, ...] = Field(default=(), max_length=20)
    tiers: tuple[TierBenefit, ...] = Field(default=(), max_length=20)
    points_rate: PointsRate = PointsRate()
    coupon_templates: tuple[CouponTemplate, ...] = Field(default=(), max_length=200)

    @model_validator(mode="after")
    def _unique_codes(self) -> Self:
        for what, codes in (
            ("spend-save", [s.code for s in self.spend_save]),
            ("tier", [t.code for t in self.tiers]),
            ("coupon template", [c.code for c in self.coupon_templates]),
        ):
            if len(set(codes)) != len(codes):
                raise ValueError(f"a {what} code appears twice")
        return self
