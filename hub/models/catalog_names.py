"""Dish categories and kitchen stations: the bilingual names of the codes dishes carry."""

from __future__ import annotations

import re

from pydantic import field_validator
from sqlmodel import Field, SQLModel

WIRE_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
"""The wire's code (protocol.fields.Code): what dishes may name as category or station."""


def check_wire_code(value: str) -> str:
    """Refuse a code the catalog snapshot would refuse (lower case, digits, ``_``)."""
    if not re.match(WIRE_CODE_PATTERN, value):
        raise ValueError("code: a lower-case letter, then lower-case letters, digits or _")
    return value


class DishCategoryBase(SQLModel):
    """Fields of a dish category (a dish's ``category`` is its code)."""

    code: str = Field(max_length=32, schema_extra={"pattern": WIRE_CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    sort_order: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_wire_code(value)


class DishCategory(DishCategoryBase, table=True):
    """A dish category row."""

    __tablename__ = "dish_category"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)


class DishCategoryCreate(DishCategoryBase):
    """Input to create a dish category."""


class KitchenStationBase(SQLModel):
    """Fields of a kitchen station (a dish's ``station`` is its code)."""

    code: str = Field(max_length=32, schema_extra={"pattern": WIRE_CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_wire_code(value)


class KitchenStation(KitchenStationBase, table=True):
    """A kitchen station row."""

    __tablename__ = "kitchen_station"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)


class KitchenStationCreate(KitchenStationBase):
    """Input to create a kitchen station."""
