"""Diner feedback on an order: a 1-5 rating, tags and a comment."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, json_list_field


class FeedbackBase(SQLModel):
    """Fields of a feedback entry."""

    order_id: str = Field(foreign_key="orders.id", ondelete="CASCADE", index=True, max_length=36)
    rating: int = Field(ge=1, le=5)
    tags: list[str] = json_list_field()
    comment: str = Field(default="", max_length=1000)


class Feedback(FeedbackBase, table=True):
    """A feedback row."""

    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()


class FeedbackPublic(FeedbackBase):
    """Feedback as the API returns it."""

    id: int
    created_at: datetime
