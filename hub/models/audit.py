"""The audit log: who changed what money or personal data, when, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import utc_field

# SQLite autoincrements only INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditLog(SQLModel, table=True):
    """One audited change; no foreign key to the member, so the trail outlives an erasure."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    at: datetime = utc_field(nullable=False, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=48)
    entity: str = Field(max_length=32, index=True)
    entity_id: str = Field(max_length=64)
    member_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    note: str | None = Field(default=None, max_length=200)


class AuditLogPublic(SQLModel):
    """An audit record as the API shows it."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    member_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None
