"""Column types shared by the hub tables: aware-UTC timestamps, string enums and JSON lists."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and returns them aware, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes (their zone is a guess) and convert aware ones to UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time and re-attach UTC on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the backend gave back."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnumType(sa.types.TypeDecorator[Any]):
    """A ``StrEnum`` kept as its value in a VARCHAR, loaded back as the enum member.

    A table model declares the enum (``unit: Unit``) and its rows read from the database
    then hold ``Unit.PIECE``, not the bare ``'pcs'`` a plain ``sa.String`` column gives: the
    model and its API response agree on the type, and pydantic serialises them without an
    "Expected enum" warning. A value the enum no longer knows is returned as the string it
    is (an old row stays readable); a bound enum member is stored as its value.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """The member's value (a plain string passes as it is)."""
        return value.value if isinstance(value, StrEnum) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """The enum member for a known value, else the stored string."""
        if value is None:
            return None
        try:
            return self.enum_class(value)
        except ValueError:
            return value


def json_list_column() -> sa.Column[Any]:
    """A NOT NULL JSON column holding a list of strings (tags, allergens)."""
    return sa.Column(sa.JSON, nullable=False, default=list)
