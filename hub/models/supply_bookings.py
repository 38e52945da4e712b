"""Meal pre-booking (报餐 / 报停): the booking rules of each site's meal periods, and bookings.

A booking holds (reserves) its price against the member's balances without moving money: the
ledger is charged once, at pick-up, through the accounts service under the booking's own id
(`order_id = booking.uid`), which the ledger posts at most once. A cancellation or a no-show
releases the hold; nothing was charged, so nothing is refunded.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field
from hub.models.bounds import MAX_CENTS, MAX_ID
from hub.models.sites import LOCAL_TIME_SCHEMA, check_local_time

MAX_DAYS_AHEAD = 14
MAX_QTY = 20


class BookingKind(StrEnum):
    """What is booked: a dish, a set meal, or "a meal" (canteens that cook one menu)."""

    DISH = "dish"
    SET_MEAL = "set_meal"
    MEAL = "meal"


class BookingStatus(StrEnum):
    """booked (price held) -> picked_up (charged) | cancelled | no_show (hold released)."""

    BOOKED = "booked"
    PICKED_UP = "picked_up"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class BookingRuleIn(SQLModel):
    """When booking a meal period of a site closes: `days_before` days before the meal day at
    `cutoff` (the site's local time); how far ahead one may book; the price of "a meal"."""

    days_before: int = Field(default=0, ge=0, le=MAX_DAYS_AHEAD)
    cutoff: time = Field(schema_extra=LOCAL_TIME_SCHEMA)
    max_days_ahead: int = Field(default=7, ge=1, le=MAX_DAYS_AHEAD)
    meal_price_cents: int = Field(default=0, ge=0, le=MAX_CENTS)
    enabled: bool = True

    @field_validator("cutoff", mode="before")
    @classmethod
    def _local_time(cls, value: object) -> object:
        return check_local_time(value)


class BookingRule(SQLModel, table=True):
    """The booking rule of one meal period of a site."""

    __tablename__ = "supply_booking_rule"
    __table_args__ = (sa.UniqueConstraint("meal_period_id", name="uq_supply_booking_rule_period"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    meal_period_id: int = Field(foreign_key="meal_period.id", ondelete="CASCADE")
    days_before: int = 0
    cutoff: time
    max_days_ahead: int = 7
    meal_price_cents: int = 0
    enabled: bool = True


class BookingRulePublic(BookingRuleIn):
    """A booking rule as the API returns it."""

    id: int
    site_id: int
    meal_period_id: int


class BookingRequest(SQLModel):
    """What a booking asks for, whoever it is for. `request_id`, made by the client, makes a
    retried request answer with the booking already made instead of booking twice."""

    site_id: int = Field(ge=1, le=MAX_ID)
    meal_period_id: int = Field(ge=1, le=MAX_ID)
    day: date
    kind: BookingKind = BookingKind.MEAL
    dish_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    set_meal_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    qty: int = Field(default=1, ge=1, le=MAX_QTY)
    request_id: str | None = Field(default=None, min_length=8, max_length=64,
                                   schema_extra={"pattern": r"^[A-Za-z0-9_-]+$"})


class BookingCreate(BookingRequest):
    """A booking asked for by (or for) a member: staff name the member."""

    member_id: int = Field(ge=1, le=MAX_ID)


class Booking(SQLModel, table=True):
    """One booking; `uid` is the order id its pick-up is charged under."""

    __tablename__ = "supply_booking"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "request_id", name="uq_supply_booking_member_request"),
        sa.Index("ix_supply_booking_site_day", "site_id", "day", "meal_period_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=36, unique=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE")
    meal_period_id: int = Field(foreign_key="meal_period.id", ondelete="CASCADE")
    day: date
    kind: str = Field(max_length=16)
    dish_id: int | None = Field(default=None, foreign_key="dish.id", ondelete="SET NULL")
    set_meal_id: int | None = Field(default=None, foreign_key="set_meal.id",
                                    ondelete="SET NULL")
    qty: int = 1
    price_cents: int = Field(ge=0)  # held from booking until pick-up or release
    status: str = Field(default=BookingStatus.BOOKED, max_length=16, index=True)
    request_id: str | None = Field(default=None, max_length=64)
    charged_cents: int = 0
    created_at: datetime = created_at_field()
    cancelled_at: datetime | None = utc_field()
    picked_up_at: datetime | None = utc_field()
    no_show_at: datetime | None = utc_field()
    actor: str = Field(default="system", max_length=64)


class BookingPublic(SQLModel):
    """A booking as the API returns it."""

    id: int
    uid: str
    member_id: int
    site_id: int
    meal_period_id: int
    day: date
    kind: str
    dish_id: int | None
    set_meal_id: int | None
    qty: int
    price_cents: int
    status: str
    charged_cents: int
    created_at: datetime
    cancelled_at: datetime | None
    picked_up_at: datetime | None
    no_show_at: datetime | None
