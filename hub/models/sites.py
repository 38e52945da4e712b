"""Organisations, sites (canteens) and their meal periods."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator, model_validator
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field
from hub.models.bounds import MAX_ID
from hub.models.patch import PatchModel
from hub.models.validators import (
    CODE_PATTERN,
    check_timezone,
    check_wire_code,
    check_wire_name,
    wire_code_schema,
)


class OrganisationBase(SQLModel):
    """Fields of an organisation (a company, school or hospital running canteens)."""

    code: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)


class Organisation(OrganisationBase, table=True):
    """An organisation row."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = created_at_field()


class SiteBase(SQLModel):
    """Fields of a site: one canteen."""

    code: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", ge=1, le=MAX_ID
    )
    active: bool = True

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)


class SiteCreate(SiteBase):
    """Input to create a site, optionally with its meal periods."""

    meal_periods: list[MealPeriodCreate] = Field(default_factory=list)


class SiteUpdate(PatchModel):
    """Partial update of a site."""

    name_zh: str = Field(default=None, min_length=1, max_length=120)
    name_en: str = Field(default=None, min_length=1, max_length=120)
    timezone: str = Field(default=None, max_length=64)
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    active: bool = Field(default=None)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


class Site(SiteBase, table=True):
    """A site row."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = created_at_field()


LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def check_local_time(value: Any) -> Any:
    """Take a meal-period time only as HH:MM or HH:MM:SS: a wall-clock time, no offset."""
    if isinstance(value, str) and not re.match(LOCAL_TIME_PATTERN, value):
        raise ValueError("a time is HH:MM or HH:MM:SS in the site's own zone, without an offset")
    return value


# A wall-clock time of the site's zone, sent and taken as HH:MM[:SS] without an offset
# (OpenAPI's `format: time` would promise an RFC 3339 offset the hub never sends).
LOCAL_TIME_SCHEMA = {
    "json_schema_extra": {"format": "partial-time", "pattern": LOCAL_TIME_PATTERN}
}


class MealPeriodBase(SQLModel):
    """A named serving window of a site, in the site's local time (may cross midnight)."""

    # A wire code (protocol.fields.Code): kiosks refuse a catalog with any other.
    code: str = Field(max_length=32, schema_extra=wire_code_schema())
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=60)
    start: time = Field(schema_extra=LOCAL_TIME_SCHEMA)
    end: time = Field(schema_extra=LOCAL_TIME_SCHEMA)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _local_time(cls, value: Any) -> Any:
        return check_local_time(value)



class MealPeriodCreate(MealPeriodBase):
    """Input to add a meal period to a site (rows already stored are shown as they are)."""

    @model_validator(mode="after")
    def _not_empty(self) -> MealPeriodCreate:
        if self.start == self.end:
            raise ValueError("meal period start and end must differ")
        return self

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_wire_code(value, "meal period code")

    @field_validator("name_zh", "name_en")
    @classmethod
    def _wire_names(cls, value: str, info: ValidationInfo) -> str:
        return check_wire_name(value, f"meal period {info.field_name}")


class MealPeriodUpdate(PatchModel):
    """Partial update of a meal period."""

    name_zh: str = Field(default=None, min_length=1, max_length=60)
    name_en: str = Field(default=None, min_length=1, max_length=60)
    start: time = Field(default=None, schema_extra=LOCAL_TIME_SCHEMA)
    end: time = Field(default=None, schema_extra=LOCAL_TIME_SCHEMA)

    @field_validator("name_zh", "name_en")
    @classmethod
    def _wire_names(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_wire_name(value, f"meal period {info.field_name}")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _local_time(cls, value: Any) -> Any:
        return check_local_time(value)


class MealPeriod(MealPeriodBase, table=True):
    """A meal period row; codes are unique within a site."""

    __tablename__ = "meal_period"
    __table_args__ = (sa.UniqueConstraint("site_id", "code", name="uq_meal_period_site_code"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)


class MealPeriodPublic(MealPeriodBase):
    """A meal period as the API returns it."""

    id: int
    site_id: int


class SitePublic(SiteBase):
    """A site as the API returns it, with its meal periods."""

    id: int
    created_at: datetime
    meal_periods: list[MealPeriodPublic] = Field(default_factory=list)


class OrganisationCreate(OrganisationBase):
    """Input to create an organisation."""


class OrganisationPublic(OrganisationBase):
    """An organisation as the API returns it."""

    id: int
    created_at: datetime
