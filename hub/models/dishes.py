"""Dishes: bilingual names, prices in cents, dietary tags, allergens, nutrition."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationInfo, field_validator
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, json_list_field, utc_field
from hub.models.bounds import MAX_CENTS, MAX_COUNT
from hub.models.patch import PatchModel
from hub.models.validators import (
    CODE_PATTERN,
    check_allergens,
    check_tags,
    check_wire_code,
    check_wire_name,
    wire_code_schema,
)
from protocol.payloads.catalog import MAX_KCAL


class Nutrition(SQLModel):
    """Nutrition per portion; every value optional, never negative."""

    kcal: int | None = Field(default=None, ge=0, le=MAX_KCAL)  # the wire's bound
    protein_g: float | None = Field(default=None, ge=0)
    fat_g: float | None = Field(default=None, ge=0)
    carbs_g: float | None = Field(default=None, ge=0)
    sodium_mg: int | None = Field(default=None, ge=0, le=MAX_COUNT)


class DishBase(Nutrition):
    """Fields of a dish."""

    code: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    description_zh: str = Field(default="", max_length=1000)
    description_en: str = Field(default="", max_length=1000)
    # category and station are wire codes (protocol.fields.Code), checked as the kiosk would.
    category: str = Field(min_length=1, max_length=32, index=True, schema_extra=wire_code_schema())
    price_cents: int = Field(ge=0, le=MAX_CENTS)
    member_price_cents: int | None = Field(default=None, ge=0, le=MAX_CENTS)
    # Weighed buffet dishes are charged per 100 g instead of per portion.
    price_per_100g_cents: int | None = Field(default=None, ge=0, le=MAX_CENTS)
    tags: list[str] = json_list_field()
    allergens: list[str] = json_list_field()
    station: str = Field(
        default="main", min_length=1, max_length=32, index=True, schema_extra=wire_code_schema()
    )
    image_path: str | None = Field(default=None, max_length=255)
    active: bool = True

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return check_tags(value)

    @field_validator("allergens")
    @classmethod
    def _allergens(cls, value: list[str]) -> list[str]:
        return check_allergens(value)


class DishCreate(DishBase):
    """Input to create a dish (rows already stored are shown as they are)."""

    @field_validator("category", "station")
    @classmethod
    def _wire_codes(cls, value: str, info: ValidationInfo) -> str:
        return check_wire_code(value, f"dish {info.field_name}")

    @field_validator("name_zh", "name_en")
    @classmethod
    def _wire_names(cls, value: str, info: ValidationInfo) -> str:
        return check_wire_name(value, f"dish {info.field_name}")


class DishUpdate(PatchModel):
    """Partial update of a dish (the code is its identity and cannot change)."""

    name_zh: str = Field(default=None, min_length=1, max_length=120)
    name_en: str = Field(default=None, min_length=1, max_length=120)
    description_zh: str = Field(default=None, max_length=1000)
    description_en: str = Field(default=None, max_length=1000)
    category: str = Field(
        default=None, min_length=1, max_length=32, schema_extra=wire_code_schema()
    )
    price_cents: int = Field(default=None, ge=0, le=MAX_CENTS)
    member_price_cents: int | None = Field(default=None, ge=0, le=MAX_CENTS)
    price_per_100g_cents: int | None = Field(default=None, ge=0, le=MAX_CENTS)
    tags: list[str] = Field(default=None)
    allergens: list[str] = Field(default=None)
    kcal: int | None = Field(default=None, ge=0, le=MAX_KCAL)  # the wire's bound
    protein_g: float | None = Field(default=None, ge=0)
    fat_g: float | None = Field(default=None, ge=0)
    carbs_g: float | None = Field(default=None, ge=0)
    sodium_mg: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    station: str = Field(
        default=None, min_length=1, max_length=32, schema_extra=wire_code_schema()
    )
    image_path: str | None = Field(default=None, max_length=255)
    active: bool = Field(default=None)

    @field_validator("category", "station")
    @classmethod
    def _wire_codes(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_wire_code(value, f"dish {info.field_name}")

    @field_validator("name_zh", "name_en")
    @classmethod
    def _wire_names(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_wire_name(value, f"dish {info.field_name}")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_tags(value)

    @field_validator("allergens")
    @classmethod
    def _allergens(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_allergens(value)


class Dish(DishBase, table=True):
    """A dish row."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class DishPublic(DishBase):
    """A dish as the API returns it."""

    id: int
    created_at: datetime
    updated_at: datetime | None = None
