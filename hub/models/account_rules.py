"""Rules managers set for member money: meal subsidies, top-up bonuses, tiers (+ tier history)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field
from hub.models.bounds import MAX_COUNT, MAX_DB_INT
from hub.models.patch import PatchModel
from hub.models.validators import (
    CODE_PATTERN,
    check_timezone,
    check_wire_code,
    wire_code_schema,
)
from protocol.payloads.offers import MAX_POINTS_MULTIPLIER_PCT

WEEKDAYS_PATTERN = re.compile(r"^[1-7]{1,7}$")


class Cadence(StrEnum):
    """How often a subsidy is granted, and so when what is left of it lapses (补贴清零)."""

    DAILY = "daily"  # each listed weekday; lapses at the end of that local day
    MONTHLY = "monthly"  # once a month; lapses at the end of the local month


def _check_weekdays(value: str) -> str:
    if not WEEKDAYS_PATTERN.match(value) or len(set(value)) != len(value):
        raise ValueError("weekdays: distinct digits 1 (Monday) to 7 (Sunday), e.g. 12345")
    return "".join(sorted(value))


class SubsidyRuleBase(SQLModel):
    """Who gets how much, for which meal, how often."""

    code: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=60)
    employer: str = Field(min_length=1, max_length=120)
    department: str | None = Field(default=None, max_length=120)
    meal_period: str | None = Field(default=None, max_length=32)
    amount_cents: int = Field(gt=0, le=1_000_000)
    cadence: Cadence = Field(default=Cadence.DAILY, sa_type=sa.String(16))
    weekdays: str = Field(default="12345", max_length=7)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    active: bool = True

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: str) -> str:
        return _check_weekdays(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)


class SubsidyRule(SubsidyRuleBase, table=True):
    """A subsidy rule row."""

    __tablename__ = "subsidy_rule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class SubsidyRuleCreate(SubsidyRuleBase):
    """Input to create a subsidy rule."""


class SubsidyRuleUpdate(PatchModel):
    """Partial update of a subsidy rule (grants already made keep their amount)."""

    name_zh: str = Field(default=None, min_length=1, max_length=60)
    name_en: str = Field(default=None, min_length=1, max_length=60)
    department: str | None = Field(default=None, max_length=120)
    meal_period: str | None = Field(default=None, max_length=32)
    amount_cents: int = Field(default=None, gt=0, le=1_000_000)
    weekdays: str = Field(default=None, max_length=7)
    active: bool = Field(default=None)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: str | None) -> str | None:
        return None if value is None else _check_weekdays(value)


class SubsidyRulePublic(SubsidyRuleBase):
    """A subsidy rule as the API shows it."""

    id: int
    created_at: datetime
    updated_at: datetime | None


class TopupBonusRuleBase(SQLModel):
    """Top up at least `min_topup_cents`, get `bonus_cents` plus `bonus_bp` of the top-up."""

    code: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=60)
    min_topup_cents: int = Field(gt=0, le=10_000_000)
    bonus_cents: int = Field(default=0, ge=0, le=10_000_000)
    bonus_bp: int = Field(default=0, ge=0, le=10_000)
    active: bool = True


class TopupBonusRule(TopupBonusRuleBase, table=True):
    """A top-up bonus rule row."""

    __tablename__ = "topup_bonus_rule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = created_at_field()


class TopupBonusRuleCreate(TopupBonusRuleBase):
    """Input to create a top-up bonus rule."""


class TopupBonusRulePublic(TopupBonusRuleBase):
    """A top-up bonus rule as the API shows it."""

    id: int
    created_at: datetime


class TierBase(SQLModel):
    """A tier: thresholds over a rolling window and the benefits the pricing engine reads."""

    # A wire code: kiosks read the tier from the member cache and the catalog's offers.
    code: str = Field(max_length=32, schema_extra=wire_code_schema())
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=60)
    rank: int = Field(ge=1, le=100)
    min_spend_cents: int = Field(default=0, ge=0, le=MAX_DB_INT)
    min_visits: int = Field(default=0, ge=0, le=MAX_COUNT)
    window_days: int = Field(default=90, ge=1, le=366)
    member_price: bool = True
    points_multiplier_pct: int = Field(default=100, ge=0, le=MAX_POINTS_MULTIPLIER_PCT)
    active: bool = True


class TierDefinition(TierBase, table=True):
    """A tier definition row; the highest-ranked tier whose thresholds are met applies."""

    __tablename__ = "tier_definition"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    rank: int = Field(unique=True)
    created_at: datetime = created_at_field()


class TierCreate(TierBase):
    """Input to define a tier (rows already stored are shown as they are)."""

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_wire_code(value, "tier code")


class TierUpdate(PatchModel):
    """Partial update of a tier (members move at the next recalculation)."""

    name_zh: str = Field(default=None, min_length=1, max_length=60)
    name_en: str = Field(default=None, min_length=1, max_length=60)
    min_spend_cents: int = Field(default=None, ge=0, le=MAX_DB_INT)
    min_visits: int = Field(default=None, ge=0, le=MAX_COUNT)
    window_days: int = Field(default=None, ge=1, le=366)
    member_price: bool = Field(default=None)
    points_multiplier_pct: int = Field(default=None, ge=0, le=MAX_POINTS_MULTIPLIER_PCT)
    active: bool = Field(default=None)


class TierPublic(TierBase):
    """A tier as the API shows it."""

    id: int
    created_at: datetime


class TierChange(SQLModel, table=True):
    """One change of a member's tier, with the figures that caused it."""

    __tablename__ = "tier_change"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    from_code: str | None = Field(default=None, max_length=32)
    to_code: str | None = Field(default=None, max_length=32)
    spend_cents: int
    visits: int
    reason: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    changed_at: datetime = utc_field(nullable=False)


class TierChangePublic(SQLModel):
    """A tier change as the API shows it."""

    id: int
    member_id: int
    from_code: str | None
    to_code: str | None
    spend_cents: int
    visits: int
    reason: str
    actor: str
    changed_at: datetime
