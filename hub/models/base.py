"""What every hub table shares: constraint naming, timestamp fields, JSON list fields."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.db_types import UTCDateTime, utcnow

# Named constraints let Alembic's batch mode on SQLite find and alter them later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at_field() -> Any:
    """An aware-UTC creation timestamp set by the hub."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def utc_field(*, nullable: bool = True, index: bool = False) -> Any:
    """An optional aware-UTC timestamp column."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_list_field() -> Any:
    """A JSON list of short code strings (tags, allergens), never NULL."""
    return Field(default_factory=list, sa_type=sa.JSON, nullable=False)


def cents_field(*, default: int | None = None, nullable: bool = False) -> Any:
    """Money in integer cents (fen); never negative."""
    return Field(default=default, ge=0, nullable=nullable)
