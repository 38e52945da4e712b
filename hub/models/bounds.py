"""Upper bounds for every integer the API accepts: a key fits its column, money fits the wire.

An unbounded integer reaches the database and fails there (SQLite refuses anything over
2^63, PostgreSQL's INTEGER anything over 2^31 - 1) with a 500; a price the wire refuses
drops the dish off the kiosk menu. So every integer in a path, a query or a body is one of
these types, or carries `ge=`/`le=` with these constants; tests/hub/test_api_bounds.py walks
the OpenAPI document and fails on any integer input without a maximum.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from protocol.fields import MAX_CENTS as WIRE_MAX_CENTS

MAX_DB_INT = 2**31 - 1
"""PostgreSQL INTEGER: every key and count column; the smallest integer column we have."""

MAX_ID = MAX_DB_INT
"""The largest row id (integer primary keys on PostgreSQL)."""

MAX_CENTS = WIRE_MAX_CENTS
"""The largest amount of money the wire carries (a price above it never reaches a kiosk)."""

MAX_COUNT = MAX_DB_INT
"""Counters stored in an INTEGER column (visits, sort orders, kcal, ...)."""

# Body fields (pydantic models): a row id referred to, money, a count.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Cents = Annotated[int, Field(ge=0, le=MAX_CENTS)]
