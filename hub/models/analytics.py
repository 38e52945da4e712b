"""Tables of the analytics domain: the record of each closed month, the sales rollups."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import utc_field


class MonthClosure(SQLModel, table=True):
    """A month closed by staff: who, when, and the figures it was closed on.

    The figures are kept so a late order (an offline kiosk delivering days after the month
    ended) shows up as a change since the close instead of silently changing a billed month.
    """

    __tablename__ = "month_closure"

    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM, China Standard Time
    closed_at: datetime = utc_field(nullable=False)
    closed_by: str = Field(max_length=64)
    orders: int
    differences: int  # accepted with a note when not zero
    subsidy_net_cents: int  # the subsidy statement's total to bill
    note: str = Field(default="", max_length=200)


class SalesDishDay(SQLModel, table=True):
    """Sales rollup: one site's local day, one dish at one kitchen station.

    Kept by ingest (``hub.analytics.rollups``) in the batch's transaction and rebuilt from
    the orders by ``canteen-hub analytics rebuild-rollups``. Gross sales, as the order lines
    say: a refund gives money back per source, not per dish, so it is counted in
    :class:`SalesSlotDay` and not here.
    """

    __tablename__ = "sales_dish_day"

    day: date = Field(primary_key=True)  # the site's local business day
    site_id: int = Field(primary_key=True, foreign_key="site.id", ondelete="CASCADE")
    dish_code: str = Field(primary_key=True, max_length=32)
    station: str = Field(primary_key=True, max_length=32)
    dish_id: int | None = Field(default=None)  # the hub's dish, when it knew the code
    name_zh: str = Field(max_length=120)  # as the last ingested line named it
    name_en: str = Field(max_length=120)
    quantity: int = Field(default=0, sa_type=sa.BigInteger)
    revenue_cents: int = Field(default=0, sa_type=sa.BigInteger)
    orders: int = Field(default=0, sa_type=sa.BigInteger)  # orders with this dish


class SalesSlotDay(SQLModel, table=True):
    """Sales rollup: one site's local day, local hour, meal period and payment type.

    ``payment`` is a payment method (subsidy, stored_value, coupon...) with the orders that
    used it and what they paid with it, or ``all`` for the orders themselves (every order
    once, ``amount_cents`` its total). ``refunded_cents`` is what refunds of those orders
    gave back (counted on the order's day and hour, whenever the refund was made); the
    ``all`` row has the refunds' total. ``meal_period`` is "" when the order had none.
    """

    __tablename__ = "sales_slot_day"

    day: date = Field(primary_key=True)
    site_id: int = Field(primary_key=True, foreign_key="site.id", ondelete="CASCADE")
    hour: int = Field(primary_key=True, ge=0, le=23)
    meal_period: str = Field(primary_key=True, max_length=32)
    payment: str = Field(primary_key=True, max_length=32)
    orders: int = Field(default=0, sa_type=sa.BigInteger)
    amount_cents: int = Field(default=0, sa_type=sa.BigInteger)
    refunded_cents: int = Field(default=0, sa_type=sa.BigInteger)
