"""``column IN (many values)`` as one statement text whatever the count (issue 20).

An ``IN`` list renders one bound parameter per value: each batch of a different size is a
new SQL text to compile (SQLAlchemy) and to convert (psycopg), and PostgreSQL never gets
to prepare it. On PostgreSQL ``column = ANY(:array)`` is one parameter and one text, so
psycopg caches and prepares it; SQLite keeps ``IN`` (in chunks below its parameter limit).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

SQLITE_CHUNK = 500  # far below SQLite's bound-parameter limit


def chunks(conn: Connection, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """The values in as many pieces as one ``in_set`` each takes on this connection."""
    if conn.dialect.name == "postgresql":
        if values:
            yield values
        return
    for start in range(0, len(values), SQLITE_CHUNK):
        yield values[start : start + SQLITE_CHUNK]


def in_set(conn: Connection, column: Any, values: Sequence[Any]) -> Any:
    """A WHERE clause: ``column`` is one of ``values`` (a piece from ``chunks``)."""
    if conn.dialect.name == "postgresql":
        # No length on the element type: ``::VARCHAR(32)[]`` would cut longer values
        # silently (an explicit cast truncates), and a cut value could match a row.
        element = sa.String() if _is_text(column.type) else column.type
        array = sa.bindparam(f"{column.name}_set", list(values),
                             type_=postgresql.ARRAY(element))
        return column == sa.any_(array)
    return column.in_(values)


def _is_text(type_: Any) -> bool:
    """Whether a column type holds text (String, or a decorator of it such as AutoString)."""
    impl = getattr(type_, "impl", type_)
    return isinstance(type_, sa.String) or isinstance(impl, sa.String)
