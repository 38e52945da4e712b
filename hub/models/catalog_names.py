"""Dish categories and kitchen stations: the bilingual names of the codes dishes carry."""

from __future__ import annotations

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from hub.models.validators import check_wire_code, wire_code_schema


class DishCategoryBase(SQLModel):
    """Fields of a dish category (a dish's ``category`` is its code)."""

    code: str = Field(max_length=32, schema_extra=wire_code_schema())
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    sort_order: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_wire_code(value, "code")


class DishCategory(DishCategoryBase, table=True):
    """A dish category row."""

    __tablename__ = "dish_category"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)


class DishCategoryCreate(DishCategoryBase):
    """Input to create a dish category."""


class KitchenStationBase(SQLModel):
    """Fields of a kitchen station (a dish's ``station`` is its code)."""

    code: str = Field(max_length=32, schema_extra=wire_code_schema())
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_wire_code(value, "code")


class KitchenStation(KitchenStationBase, table=True):
    """A kitchen station row."""

    __tablename__ = "kitchen_station"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)


class KitchenStationCreate(KitchenStationBase):
    """Input to create a kitchen station."""
