"""CRM complaints: per-dish ratings from kiosk feedback, complaint cases and their notes.

A case is opened by ingest (hub.crm.cases) when a feedback rates the order or a dish 2 or
less, or carries a complaint tag; the feedback's message id makes that idempotent.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, json_list_field, utc_field


class DishRating(SQLModel, table=True):
    """One dish of an order as the diner rated it (or, from a 1.0 kiosk, the order's rating).

    ``per_dish`` tells the two apart: satisfaction figures count both, and say how many
    ratings were given dish by dish. Site, station and meal period are copied from the order
    so the satisfaction queries need no join on the large order tables.
    """

    __tablename__ = "crm_dish_rating"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="orders.id", ondelete="CASCADE", index=True, max_length=36)
    dish_code: str = Field(max_length=32, index=True)
    name_zh: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    station: str = Field(max_length=32)
    site_id: int = Field(foreign_key="site.id", index=True)
    meal_period: str | None = Field(default=None, max_length=32)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    rating: int = Field(ge=1, le=5)
    tags: list[str] = json_list_field()
    per_dish: bool = True
    placed_at: datetime = utc_field(nullable=False, index=True)
    created_at: datetime = created_at_field()


class ComplaintCase(SQLModel, table=True):
    """A complaint to handle: who, what, how urgent, who handles it, how it ended."""

    __tablename__ = "crm_case"

    id: int | None = Field(default=None, primary_key=True)
    # The feedback message that opened it: a redelivered message never opens a second case.
    source_message_id: str = Field(max_length=36, unique=True)
    order_id: str = Field(foreign_key="orders.id", ondelete="CASCADE", index=True, max_length=36)
    site_id: int = Field(foreign_key="site.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    rating: int = Field(ge=1, le=5)
    tags: list[str] = json_list_field()
    dishes: list[str] = json_list_field()  # codes of the dishes rated 2 or less
    comment: str = Field(default="", max_length=1000)
    priority: str = Field(max_length=16, index=True)
    status: str = Field(default="open", max_length=16, index=True)
    opened_at: datetime = utc_field(nullable=False, index=True)
    due_at: datetime = utc_field(nullable=False, index=True)
    assigned_to: int | None = Field(default=None, foreign_key="users.id", index=True)
    assigned_at: datetime | None = utc_field()
    resolved_at: datetime | None = utc_field()
    resolved_by: int | None = Field(default=None, foreign_key="users.id")
    resolution: str = Field(default="", max_length=1000)
    follow_up_zh: str = Field(default="", max_length=200)
    follow_up_en: str = Field(default="", max_length=200)


class CaseNote(SQLModel, table=True):
    """A line of a case's history: a note, an assignment, the resolution."""

    __tablename__ = "crm_case_note"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="crm_case.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    body: str = Field(default="", max_length=1000)
    author: str = Field(max_length=64)
    created_at: datetime = created_at_field()
