"""Supply tables (issue 17, inventory side): ingredients, suppliers, recipes, stock
movements and lots, counts, waste, portions prepared, purchase orders.

Stock is a ledger: every receipt, back-flushed consumption, waste and count adjustment is
an append-only ``stock_movement`` row, so ingest never updates a shared row (no lock
order to keep with other workers) and on-hand stock is a sum. Which lot a consumption
used is decided first-in first-out when it is read (``hub.supply.stock``), from the
receipts (``stock_lot``) and the movements in time order.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field as PydField
from sqlmodel import Field, SQLModel

from hub.db_types import StrEnumType
from hub.models.base import created_at_field, utc_field
from hub.models.bounds import MAX_ID
from hub.models.validators import CODE_PATTERN

MAX_QTY = 1_000_000_000.0
"""The largest quantity of an ingredient in its unit (a tonne in grams, a thousand times)."""


class Unit(StrEnum):
    """Base units an ingredient is counted in (recipes, stock and orders share it)."""

    GRAM = "g"
    MILLILITRE = "ml"
    PIECE = "pcs"


class MovementKind(StrEnum):
    """Why stock moved."""

    RECEIPT = "receipt"
    CONSUMPTION = "consumption"  # back-flushed from an ingested order
    WASTE = "waste"
    COUNT = "count"  # the difference a stock count found


class WasteReason(StrEnum):
    """Why food was thrown away (the canteen's waste report groups by these)."""

    EXPIRED = "expired"
    SPOILED = "spoiled"
    OVERPRODUCTION = "overproduction"
    PLATE = "plate"  # left on diners' plates
    DAMAGED = "damaged"
    OTHER = "other"


class PurchaseStatus(StrEnum):
    """A purchase order is open until received or cancelled."""

    OPEN = "open"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Supplier(SQLModel, table=True):
    """Who delivers ingredients, and how many days ahead they need the order."""

    __tablename__ = "supplier"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name_zh: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    lead_time_days: int = Field(default=1, ge=0)
    contact: str = Field(default="", max_length=200)
    created_at: datetime = created_at_field()


class Ingredient(SQLModel, table=True):
    """An ingredient, its unit, its usual supplier and pack, and its low-stock level."""

    __tablename__ = "ingredient"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name_zh: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    unit: Unit = Field(sa_type=StrEnumType(Unit, 8))
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id",
                                    ondelete="SET NULL", index=True)
    pack_size: float = Field(default=1.0, sa_type=sa.Float)  # units per pack ordered
    low_stock: float = Field(default=0.0, sa_type=sa.Float)  # alert at or below
    main: bool = False  # a main ingredient: its origin is shown to diners where published
    created_at: datetime = created_at_field()


class RecipeLine(SQLModel, table=True):
    """One ingredient of a dish: quantity per portion, or per 100 g for a weighed dish."""

    __tablename__ = "recipe_line"
    __table_args__ = (
        sa.UniqueConstraint("dish_id", "ingredient_id", name="uq_recipe_line_dish_ingredient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dish_id: int = Field(foreign_key="dish.id", ondelete="CASCADE", index=True)
    ingredient_id: int = Field(foreign_key="ingredient.id", ondelete="RESTRICT", index=True)
    qty: float = Field(sa_type=sa.Float)


class SupplySite(SQLModel, table=True):
    """A site's supply settings: whether diners are shown where ingredients came from."""

    __tablename__ = "supply_site"

    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", primary_key=True)
    publish_origin: bool = False


class GoodsReceipt(SQLModel, table=True):
    """A delivery taken in at a site: its lines are lots (``stock_lot``)."""

    __tablename__ = "goods_receipt"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    supplier_id: int = Field(foreign_key="supplier.id", ondelete="RESTRICT", index=True)
    received_at: datetime = utc_field(nullable=False, index=True)
    reference: str = Field(default="", max_length=64)  # the delivery note's number
    purchase_order_id: int | None = Field(default=None, foreign_key="purchase_order.id",
                                          ondelete="SET NULL")
    received_by: str = Field(default="", max_length=64)


class StockLot(SQLModel, table=True):
    """One lot of an ingredient received at a site: supplier lot code, dates, quantity."""

    __tablename__ = "stock_lot"

    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(foreign_key="goods_receipt.id", ondelete="CASCADE", index=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    ingredient_id: int = Field(foreign_key="ingredient.id", ondelete="RESTRICT", index=True)
    lot_code: str = Field(max_length=64)
    produced_on: date | None = None  # the lot date the supplier prints (shown to diners)
    expires_on: date
    qty: float = Field(sa_type=sa.Float)
    received_at: datetime = utc_field(nullable=False)


class StockMovement(SQLModel, table=True):
    """Stock in (+) or out (-) of an ingredient at a site; append-only."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        sa.Index("ix_stock_movement_site_ingredient", "site_id", "ingredient_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE")
    ingredient_id: int = Field(foreign_key="ingredient.id", ondelete="RESTRICT")
    kind: MovementKind = Field(sa_type=StrEnumType(MovementKind, 16))
    qty: float = Field(sa_type=sa.Float)
    at: datetime = utc_field(nullable=False)
    business_date: date = Field(index=True)
    lot_id: int | None = Field(default=None, foreign_key="stock_lot.id", ondelete="SET NULL")
    dish_id: int | None = Field(default=None, foreign_key="dish.id", ondelete="SET NULL")
    meal_period: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=200)


class StockCount(SQLModel, table=True):
    """A physical count: what was found against what the ledger expected."""

    __tablename__ = "stock_count"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    ingredient_id: int = Field(foreign_key="ingredient.id", ondelete="RESTRICT")
    counted_qty: float = Field(sa_type=sa.Float)
    expected_qty: float = Field(sa_type=sa.Float)
    counted_at: datetime = utc_field(nullable=False)
    counted_by: str = Field(default="", max_length=64)


class PortionPlan(SQLModel, table=True):
    """Portions the kitchen prepared of a dish for a meal period of a day at a site."""

    __tablename__ = "portion_plan"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "dish_id", "service_date", "meal_period",
                            name="uq_portion_plan_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    dish_id: int = Field(foreign_key="dish.id", ondelete="CASCADE")
    service_date: date
    meal_period: str = Field(max_length=32)
    prepared: int = Field(ge=0)
    updated_at: datetime = created_at_field()
    updated_by: str = Field(default="", max_length=64)


class PurchaseOrder(SQLModel, table=True):
    """An order to a supplier for a site; open orders count against suggestions."""

    __tablename__ = "purchase_order"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    supplier_id: int = Field(foreign_key="supplier.id", ondelete="RESTRICT", index=True)
    status: PurchaseStatus = Field(default=PurchaseStatus.OPEN,
                                  sa_type=StrEnumType(PurchaseStatus, 16))
    ordered_on: date
    deliver_on: date
    created_at: datetime = created_at_field()
    created_by: str = Field(default="", max_length=64)


class PurchaseOrderLine(SQLModel, table=True):
    """One ingredient of a purchase order: packs and the quantity they hold."""

    __tablename__ = "purchase_order_line"

    id: int | None = Field(default=None, primary_key=True)
    purchase_order_id: int = Field(foreign_key="purchase_order.id", ondelete="CASCADE",
                                   index=True)
    ingredient_id: int = Field(foreign_key="ingredient.id", ondelete="RESTRICT")
    packs: int = Field(ge=0)
    qty: float = Field(sa_type=sa.Float)


# ---- API shapes -------------------------------------------------------------------------

Qty = Annotated[float, PydField(gt=0, le=MAX_QTY, allow_inf_nan=False)]
"""A quantity moved or used: more than zero (a negative recipe or receipt is refused)."""
QtyOrZero = Annotated[float, PydField(ge=0, le=MAX_QTY, allow_inf_nan=False)]
Code32 = Annotated[str, PydField(min_length=1, max_length=32, pattern=CODE_PATTERN)]
Name120 = Annotated[str, PydField(min_length=1, max_length=120)]


class SupplierCreate(SQLModel):
    """A new supplier."""

    code: Code32
    name_zh: Name120
    name_en: Name120
    lead_time_days: int = PydField(default=1, ge=0, le=60)
    contact: str = PydField(default="", max_length=200)


class IngredientCreate(SQLModel):
    """A new ingredient."""

    code: Code32
    name_zh: Name120
    name_en: Name120
    unit: Unit
    supplier_id: int | None = PydField(default=None, ge=1, le=MAX_ID)
    pack_size: Qty = 1.0
    low_stock: QtyOrZero = 0.0
    main: bool = False


class RecipeLineIn(SQLModel):
    """One ingredient of a recipe: per portion, or per 100 g for a weighed dish."""

    ingredient_id: int = PydField(ge=1, le=MAX_ID)
    qty: Qty


class RecipeIn(SQLModel):
    """A dish's whole recipe; it replaces the one stored."""

    lines: list[RecipeLineIn] = PydField(max_length=50)


class ReceiptLineIn(SQLModel):
    """One lot delivered."""

    ingredient_id: int = PydField(ge=1, le=MAX_ID)
    qty: Qty
    lot_code: str = PydField(min_length=1, max_length=64)
    produced_on: date | None = None
    expires_on: date


class ReceiptCreate(SQLModel):
    """A delivery taken in: supplier, delivery note, lots."""

    site_id: int = PydField(ge=1, le=MAX_ID)
    supplier_id: int = PydField(ge=1, le=MAX_ID)
    reference: str = PydField(default="", max_length=64)
    purchase_order_id: int | None = PydField(default=None, ge=1, le=MAX_ID)
    lines: list[ReceiptLineIn] = PydField(min_length=1, max_length=100)


class CountLineIn(SQLModel):
    """What was found on the shelf."""

    ingredient_id: int = PydField(ge=1, le=MAX_ID)
    counted_qty: QtyOrZero


class CountCreate(SQLModel):
    """A stock count of some ingredients at a site."""

    site_id: int = PydField(ge=1, le=MAX_ID)
    lines: list[CountLineIn] = PydField(min_length=1, max_length=500)


class WasteCreate(SQLModel):
    """Food thrown away, and why."""

    site_id: int = PydField(ge=1, le=MAX_ID)
    ingredient_id: int = PydField(ge=1, le=MAX_ID)
    qty: Qty
    reason: WasteReason
    lot_id: int | None = PydField(default=None, ge=1, le=MAX_ID)
    note: str = PydField(default="", max_length=200)


class PortionsIn(SQLModel):
    """Portions prepared of a dish for a meal period (``add`` adds to what is there)."""

    site_id: int = PydField(ge=1, le=MAX_ID)
    dish_id: int = PydField(ge=1, le=MAX_ID)
    service_date: date
    meal_period: Code32
    prepared: int = PydField(ge=0, le=100_000)
    add: bool = False


class PurchaseOrderCreate(SQLModel):
    """Turn a site's suggestions for one supplier into an open purchase order."""

    site_id: int = PydField(ge=1, le=MAX_ID)
    supplier_id: int = PydField(ge=1, le=MAX_ID)
    start: date
    days: int = PydField(default=3, ge=1, le=14)
