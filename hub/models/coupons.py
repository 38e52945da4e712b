"""Coupon templates, issued coupons, double redemptions, and promotions in rules' shape."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field as PydanticField
from pydantic import field_validator, model_validator
from sqlmodel import Field, SQLModel

from hub.db_types import StrEnumType, UTCDateTime
from hub.models.base import created_at_field, json_list_field, utc_field
from hub.models.bounds import MAX_ID
from hub.models.patch import PatchModel
from hub.models.validators import CODE_PATTERN, check_wire_code
from rules.order import CouponKind


class AutoIssue(StrEnum):
    """When a template is issued by the hub itself."""

    NONE = "none"
    WELCOME = "welcome"
    BIRTHDAY = "birthday"


class CouponTemplateBase(SQLModel):
    """What a coupon gives, mapped one to one onto ``rules.order.Coupon``."""

    code: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    kind: CouponKind
    amount_cents: int = Field(default=0, ge=0, le=100_000_000)
    percent_bp: int = Field(default=0, ge=0, le=10_000)
    max_off_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    dish_code: str | None = Field(default=None, max_length=32)
    min_spend_cents: int = Field(default=0, ge=0, le=100_000_000)
    dish_codes: list[str] = json_list_field()
    categories: list[str] = json_list_field()
    valid_days: int = Field(default=30, ge=1, le=3660)
    auto_issue: AutoIssue = AutoIssue.NONE
    active: bool = True

    @model_validator(mode="after")
    def _kind_fields(self) -> CouponTemplateBase:
        # The same checks rules.Coupon makes, up front, so a bad template is a 422 not a crash.
        if self.kind is CouponKind.AMOUNT_OFF and self.amount_cents <= 0:
            raise ValueError("amount_off needs amount_cents > 0")
        if self.kind is CouponKind.PERCENT_OFF and not 0 < self.percent_bp <= 10_000:
            raise ValueError("percent_off needs percent_bp in 1..10000")
        if self.kind is CouponKind.FREE_DISH and not self.dish_code:
            raise ValueError("free_dish needs dish_code")
        return self


class CouponTemplate(CouponTemplateBase, table=True):
    """A coupon template row."""

    __tablename__ = "coupon_template"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    kind: CouponKind = Field(sa_type=StrEnumType(CouponKind, 16))
    auto_issue: AutoIssue = Field(default=AutoIssue.NONE,
                                  sa_type=StrEnumType(AutoIssue, 16))
    created_at: datetime = created_at_field()


class CouponTemplateCreate(CouponTemplateBase):
    """Input to create a template (rows already stored are shown as they are)."""

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        return [check_wire_code(c, "coupon category") for c in value]


class CouponTemplatePublic(CouponTemplateBase):
    """A template as the API returns it."""

    id: int
    created_at: datetime


class CouponStatus(StrEnum):
    """An issued coupon is open, redeemed once, or voided."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    VOID = "void"


class Coupon(SQLModel, table=True):
    """One coupon in a member's wallet; redeemable once."""

    __tablename__ = "coupon"

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="coupon_template.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(default=CouponStatus.ISSUED.value, max_length=16)
    source: str = Field(max_length=16)
    # Makes automatic and bulk issuing idempotent: "birthday:3:17:2025" is issued once.
    issue_key: str | None = Field(default=None, max_length=120, unique=True)
    valid_from: datetime = Field(sa_type=UTCDateTime, nullable=False)
    valid_until: datetime = Field(sa_type=UTCDateTime, nullable=False)
    issued_by: str = Field(max_length=64)
    issued_at: datetime = created_at_field()
    redeemed_order_id: str | None = Field(default=None, max_length=36)
    redeemed_device_id: str | None = Field(default=None, max_length=64)
    redeemed_at: datetime | None = utc_field()


class CouponPublic(SQLModel):
    """A coupon as the API returns it."""

    id: int
    template_id: int
    member_id: int
    status: str
    source: str
    valid_from: datetime
    valid_until: datetime
    issued_by: str
    issued_at: datetime
    redeemed_order_id: str | None = None
    redeemed_device_id: str | None = None
    redeemed_at: datetime | None = None


class CouponRedemptionConflict(SQLModel, table=True):
    """A coupon redeemed by a second order (two offline kiosks), or unknown at redemption."""

    __tablename__ = "coupon_redemption_conflict"
    __table_args__ = (
        sa.UniqueConstraint("coupon_id", "order_id", name="uq_coupon_redemption_conflict_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    coupon_id: int = Field(index=True)
    kind: str = Field(max_length=16)
    order_id: str = Field(max_length=36)
    device_id: str = Field(max_length=64)
    redeemed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    first_order_id: str | None = Field(default=None, max_length=36)
    detected_at: datetime = created_at_field()
    resolved: bool = False


# Days of a member-day promotion: 0 (Monday) .. 6 (Sunday), as the service checks them.
Weekday = Annotated[int, PydanticField(ge=0, le=6)]


class PromotionKind(StrEnum):
    """The promotion shapes of ``rules.order.Promotions``."""

    MEMBER_DAY = "member_day"
    SPEND_SAVE = "spend_save"
    SET_MEAL_PRICE = "set_meal_price"


class PromotionBase(SQLModel):
    """One promotion; only the fields of its kind are used."""

    code: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    kind: PromotionKind
    site_id: int | None = Field(default=None, foreign_key="site.id", ge=1, le=MAX_ID)
    percent_bp: int | None = Field(default=None, ge=1, le=10_000)
    weekdays: list[Weekday] = json_list_field()
    threshold_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    save_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    members_only: bool = False
    set_meal_code: str | None = Field(default=None, max_length=32)
    price_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    valid_from: datetime | None = utc_field()
    valid_until: datetime | None = utc_field()
    active: bool = True


class Promotion(PromotionBase, table=True):
    """A promotion row."""

    __tablename__ = "promotion"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    kind: PromotionKind = Field(sa_type=StrEnumType(PromotionKind, 16))
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class PromotionCreate(PromotionBase):
    """Input to create a promotion (checked against rules by the service)."""

    @model_validator(mode="after")
    def _wire_code(self) -> PromotionCreate:
        # A spend-save offer travels to kiosks under its code (protocol SpendSave.code).
        if self.kind is PromotionKind.SPEND_SAVE:
            check_wire_code(self.code, "spend-save promotion code")
        return self


class PromotionUpdate(PatchModel):
    """Partial change of a promotion."""

    percent_bp: int | None = Field(default=None, ge=1, le=10_000)
    weekdays: list[Weekday] = Field(default=None)
    threshold_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    save_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    members_only: bool = Field(default=None)
    price_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool = Field(default=None)


class PromotionPublic(PromotionBase):
    """A promotion as the API returns it."""

    id: int
    created_at: datetime
    updated_at: datetime | None = None


def template_fields(template: Any) -> dict[str, Any]:
    """The rules-relevant fields of a template (for building ``rules.order.Coupon``)."""
    return {k: getattr(template, k) for k in CouponTemplateBase.model_fields}
