"""Orders as the hub stores them after ingest: lines, line modifiers and payments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class OrderBase(SQLModel):
    """Fields of an order; the id is the device-made UUID, the idempotency key."""

    order_no: str = Field(max_length=32)
    site_id: int = Field(foreign_key="site.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="device.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    placed_at: datetime = utc_field(nullable=False, index=True)
    meal_period: str | None = Field(default=None, max_length=32)
    subtotal_cents: int = Field(ge=0)
    discount_cents: int = Field(default=0, ge=0)
    total_cents: int = Field(ge=0)
    paid: bool = False
    offline: bool = False


class Order(OrderBase, table=True):
    """An order row (table `orders`: `order` is reserved in SQL)."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint("total_cents = subtotal_cents - discount_cents", name="total_sum"),
    )

    id: str = Field(primary_key=True, max_length=36)
    received_at: datetime = created_at_field()


class OrderLine(SQLModel, table=True):
    """One line of an order; names and prices are copied as they were at the sale."""

    __tablename__ = "order_line"
    __table_args__ = (sa.UniqueConstraint("order_id", "line_no", name="uq_order_line_no"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="orders.id", ondelete="CASCADE", index=True, max_length=36)
    line_no: int = Field(ge=1)
    dish_id: int | None = Field(default=None, foreign_key="dish.id", ondelete="SET NULL")
    dish_code: str = Field(max_length=32)
    name_zh: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    qty: int = Field(default=1, ge=1)
    unit_price_cents: int = Field(ge=0)
    weight_g: int | None = Field(default=None, ge=0)
    line_total_cents: int = Field(ge=0)
    station: str = Field(default="main", max_length=32)


class OrderLineModifier(SQLModel, table=True):
    """A modifier of a line (less spicy, extra rice) and its price change."""

    __tablename__ = "order_line_modifier"

    id: int | None = Field(default=None, primary_key=True)
    order_line_id: int = Field(foreign_key="order_line.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=32)
    name_zh: str = Field(max_length=60)
    name_en: str = Field(max_length=60)
    price_delta_cents: int = 0


class Payment(SQLModel, table=True):
    """A payment towards an order (subsidy, stored value, QR, card, cash...)."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="orders.id", ondelete="CASCADE", index=True, max_length=36)
    method: str = Field(max_length=32)
    amount_cents: int = Field(ge=0)
    reference: str | None = Field(default=None, max_length=120)
    created_at: datetime = created_at_field()
