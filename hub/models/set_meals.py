"""Set meals: fixed combos of dishes, or build-your-own rules of slots by category."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator, model_validator
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field
from hub.models.bounds import MAX_CENTS, MAX_COUNT, MAX_ID
from hub.models.patch import PatchModel
from hub.models.validators import (
    CODE_PATTERN,
    check_wire_code,
    check_wire_name,
    wire_code_schema,
)


class SetMealKind(StrEnum):
    """How a set meal is composed."""

    FIXED = "fixed"
    BUILD_YOUR_OWN = "build_your_own"


class SetMealItemIn(SQLModel):
    """One dish of a fixed combo."""

    dish_id: int = Field(ge=1, le=MAX_ID)
    qty: int = Field(default=1, ge=1, le=20)


class SetMealSlotBase(SQLModel):
    """One build-your-own slot: pick between min and max dishes of a category."""

    category: str = Field(min_length=1, max_length=32, schema_extra=wire_code_schema())
    min_picks: int = Field(default=1, ge=0, le=20)
    max_picks: int = Field(default=1, ge=1, le=20)
    sort_order: int = Field(default=0, ge=-MAX_COUNT, le=MAX_COUNT)

    @model_validator(mode="after")
    def _range(self) -> SetMealSlotBase:
        if self.min_picks > self.max_picks:
            raise ValueError("min_picks must not exceed max_picks")
        return self


class SetMealSlotIn(SetMealSlotBase):
    """A slot as the API takes it: its category is a wire code (stored rows show as they are)."""

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        return check_wire_code(value, "set meal slot category")


class SetMealBase(SQLModel):
    """Fields of a set meal."""

    code: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    kind: SetMealKind = Field(sa_type=sa.String(16))
    price_cents: int = Field(ge=0, le=MAX_CENTS)
    active: bool = True


class SetMealCreate(SetMealBase):
    """Input to create a set meal with its items (fixed) or slots (build-your-own)."""

    items: list[SetMealItemIn] = Field(default_factory=list)
    slots: list[SetMealSlotIn] = Field(default_factory=list)

    @field_validator("name_zh", "name_en")
    @classmethod
    def _wire_names(cls, value: str, info: ValidationInfo) -> str:
        return check_wire_name(value, f"set meal {info.field_name}")

    @model_validator(mode="after")
    def _shape_matches_kind(self) -> SetMealCreate:
        if self.kind == SetMealKind.FIXED and (not self.items or self.slots):
            raise ValueError("a fixed set meal needs items and no slots")
        if self.kind == SetMealKind.BUILD_YOUR_OWN and (not self.slots or self.items):
            raise ValueError("a build-your-own set meal needs slots and no items")
        return self


class SetMealUpdate(PatchModel):
    """Partial update; items or slots, when given, replace the old ones."""

    name_zh: str = Field(default=None, min_length=1, max_length=120)
    name_en: str = Field(default=None, min_length=1, max_length=120)
    price_cents: int = Field(default=None, ge=0, le=MAX_CENTS)
    active: bool = Field(default=None)
    items: list[SetMealItemIn] = Field(default=None)
    slots: list[SetMealSlotIn] = Field(default=None)

    @field_validator("name_zh", "name_en")
    @classmethod
    def _wire_names(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_wire_name(value, f"set meal {info.field_name}")


class SetMeal(SetMealBase, table=True):
    """A set meal row."""

    __tablename__ = "set_meal"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = created_at_field()


class SetMealItem(SQLModel, table=True):
    """A dish in a fixed combo."""

    __tablename__ = "set_meal_item"
    __table_args__ = (sa.UniqueConstraint("set_meal_id", "dish_id", name="uq_set_meal_item_dish"),)

    id: int | None = Field(default=None, primary_key=True)
    set_meal_id: int = Field(foreign_key="set_meal.id", ondelete="CASCADE", index=True)
    dish_id: int = Field(foreign_key="dish.id", ondelete="RESTRICT")
    qty: int = 1


class SetMealSlot(SQLModel, table=True):
    """A build-your-own slot rule."""

    __tablename__ = "set_meal_slot"

    id: int | None = Field(default=None, primary_key=True)
    set_meal_id: int = Field(foreign_key="set_meal.id", ondelete="CASCADE", index=True)
    category: str = Field(max_length=32)
    min_picks: int = 1
    max_picks: int = 1
    sort_order: int = 0


class SetMealPublic(SetMealBase):
    """A set meal as the API returns it."""

    id: int
    created_at: datetime
    items: list[SetMealItemIn] = Field(default_factory=list)
    slots: list[SetMealSlotBase] = Field(default_factory=list)
