"""Parts of the catalog the kiosk prices with: dish options, promotions, tiers, points rate.

Shapes mirror the pricing engine's inputs (``rules.order``) so a device turns them into
engine inputs field by field, and the hub fills them from the same tables it prices with.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from protocol.fields import Cents, Code, Flag, Name, UtcDatetime, WireModel

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


class TierBenefit(WireModel):
    """What a member tier gets at the kiosk."""

    code: Code
    name_zh: Name
    name_en: Name
    member_price: Flag = True
    points_multiplier_pct: Annotated[int, Field(strict=True, ge=0, le=1000)] = 100


class PointsRate(WireModel):
    """``points`` points are worth ``cents`` fen when redeemed."""

    points: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = 100
    cents: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = 100


class Offers(WireModel):
    """Promotions and member benefits of a site, priced by ``rules`` on the device."""

    member_day: MemberDay | None = None
    spend_save: tuple[SpendSave, ...] = Field(default=(), max_length=20)
    tiers: tuple[TierBenefit, ...] = Field(default=(), max_length=20)
    points_rate: PointsRate = PointsRate()

    @model_validator(mode="after")
    def _unique_codes(self) -> Self:
        for what, codes in (
            ("spend-save", [s.code for s in self.spend_save]),
            ("tier", [t.code for t in self.tiers]),
        ):
            if len(set(codes)) != len(codes):
                raise ValueError(f"a {what} code appears twice")
        return self
