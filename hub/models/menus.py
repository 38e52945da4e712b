"""Menus: which dishes a site offers in a meal period, and whether they are sold out."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field
from hub.models.bounds import MAX_COUNT, MAX_ID
from hub.models.patch import PatchModel


class MenuItemIn(SQLModel):
    """A dish on a menu as the API takes it."""

    dish_id: int = Field(ge=1, le=MAX_ID)
    available: bool = True
    sold_out: bool = False
    sort_order: int = Field(default=0, ge=-MAX_COUNT, le=MAX_COUNT)


class MenuItemUpdate(PatchModel):
    """Partial update of one menu item (the sold-out switch of the kitchen)."""

    available: bool = Field(default=None)
    sold_out: bool = Field(default=None)
    sort_order: int = Field(default=None, ge=-MAX_COUNT, le=MAX_COUNT)


class MenuBase(SQLModel):
    """Fields of a menu."""

    site_id: int = Field(foreign_key="site.id", index=True, ge=1, le=MAX_ID)
    meal_period_id: int = Field(
        foreign_key="meal_period.id", ondelete="RESTRICT", ge=1, le=MAX_ID
    )
    active: bool = True


class MenuCreate(MenuBase):
    """Input to create a menu with its items."""

    items: list[MenuItemIn] = Field(default_factory=list)


class MenuUpdate(PatchModel):
    """Partial update of a menu; items, when given, replace the old list."""

    active: bool = Field(default=None)
    items: list[MenuItemIn] = Field(default=None)


class Menu(MenuBase, table=True):
    """A menu row: one per site and meal period."""

    __table_args__ = (sa.UniqueConstraint("site_id", "meal_period_id", name="uq_menu_site_period"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class MenuItem(SQLModel, table=True):
    """A dish on a menu."""

    __tablename__ = "menu_item"
    __table_args__ = (sa.UniqueConstraint("menu_id", "dish_id", name="uq_menu_item_dish"),)

    id: int | None = Field(default=None, primary_key=True)
    menu_id: int = Field(foreign_key="menu.id", ondelete="CASCADE", index=True)
    dish_id: int = Field(foreign_key="dish.id", ondelete="RESTRICT", index=True)
    available: bool = True
    sold_out: bool = False
    sort_order: int = 0


class MenuItemPublic(MenuItemIn):
    """A menu item as the API returns it."""

    id: int


class MenuPublic(MenuBase):
    """A menu as the API returns it."""

    id: int
    created_at: datetime
    updated_at: datetime | None = None
    items: list[MenuItemPublic] = Field(default_factory=list)
