"""Dish votes and short surveys a manager sets up and members answer on the member page.

A survey's questions live in one JSON column, validated by ``hub.surveys.definition`` on
the way in (a survey is a few questions, read and answered whole, never queried by
question). A member answers a survey once and may change the answer while it is open:
one response row per member and survey.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class Survey(SQLModel, table=True):
    """A dish vote ("which dishes should come back?") or a short survey, open for a while."""

    __tablename__ = "survey"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('dish_vote', 'survey')", name="kind_known"),
        sa.CheckConstraint("closes_at > opens_at", name="window_forward"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    title_zh: str = Field(max_length=80)
    title_en: str = Field(max_length=80)
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON,
                                            nullable=False)
    opens_at: datetime = utc_field(nullable=False, index=True)
    closes_at: datetime = utc_field(nullable=False, index=True)
    closed_early_at: datetime | None = utc_field()
    created_by: str = Field(max_length=64)
    created_at: datetime = created_at_field()


class SurveyResponse(SQLModel, table=True):
    """One member's answers to one survey (replaced when they change them while it is open)."""

    __tablename__ = "survey_response"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "member_id", name="uq_survey_response_member"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    answered_at: datetime = utc_field(nullable=False)
