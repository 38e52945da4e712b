"""CRM tables (issue 13): tag rules, member tags with evidence, segments, RFM/churn scores.

Rule and segment definitions are JSON validated by hub.crm.definitions (pydantic) before
they are stored; the tables only keep them. Complaints and campaigns live in their own
tables (hub.models.crm_cases / campaigns), not here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class TagRule(SQLModel, table=True):
    """An automatic tag: the tag code it gives and the definition that decides who has it."""

    __tablename__ = "crm_tag_rule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)  # the tag it gives (member_tag.tag)
    name_zh: str = Field(max_length=60)
    name_en: str = Field(max_length=60)
    definition: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    active: bool = True
    builtin: bool = False  # shipped with the hub (hub.crm.builtin_rules)
    # Cut-offs of percentile conditions found by the last full refresh, so that the
    # per-batch re-evaluation at ingest need not rank every member again.
    state: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    refreshed_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class MemberTag(SQLModel, table=True):
    """A tag a member has: from a rule (rule_id) or given by staff (given_by)."""

    __tablename__ = "crm_member_tag"
    __table_args__ = (sa.UniqueConstraint("member_id", "tag", name="uq_crm_member_tag_member"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    tag: str = Field(max_length=32, index=True)
    rule_id: int | None = Field(
        default=None, foreign_key="crm_tag_rule.id", ondelete="CASCADE", index=True
    )
    given_by: str | None = Field(default=None, max_length=64)  # staff user, manual tags
    given_at: datetime = utc_field(nullable=False)
    # {"orders": [order ids], "note": "..."}: why the member has the tag.
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)


class Segment(SQLModel, table=True):
    """A saved member query (tags AND/OR/NOT metric conditions)."""

    __tablename__ = "crm_segment"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    definition: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class MemberScore(SQLModel, table=True):
    """A member's RFM quintiles and churn probability, as of ``scored_at``."""

    __tablename__ = "crm_member_score"

    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True)
    recency_days: int
    frequency: int  # visits: distinct local days with an order
    monetary_cents: int
    r: int
    f: int
    m: int
    churn_probability: float
    method: str = Field(max_length=16)  # "mbgnbd" (model) or "rfm" (short-history fallback)
    scored_at: datetime = utc_field(nullable=False)


class ScoreFit(SQLModel, table=True):
    """A fit of the churn model on the hub's history; the newest one scores touched members."""

    __tablename__ = "crm_score_fit"

    id: int | None = Field(default=None, primary_key=True)
    fitted_at: datetime = utc_field(nullable=False)
    method: str = Field(max_length=16)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    members: int = 0
