"""Is a failed write the message's fault (a data error) or the database's (an outage)?

The answer decides what the ingest writer does with a batch that did not commit:

- ``INTEGRITY`` (a unique, foreign-key, check or not-null violation): usually two workers
  racing on the same id, which a retry of the batch settles; if it persists, the message
  is at fault and is treated like ``DATA``.
- ``DATA`` (a value the database or the row building refuses: integer out of range, string
  too long, a date that overflows in the site's time zone): retrying the same batch can
  never succeed, so the batch is written message by message and the one at fault is
  dead-lettered (``data_error``) and acknowledged as rejected.
- ``OUTAGE`` (connection lost, database shut down or read-only, deadlock, lock timeout)
  and anything not known to be the message's fault (a bug): the batch stays
  unacknowledged and is retried with backoff; nothing is dead-lettered for it.

PostgreSQL errors are classified by SQLSTATE class (22 data exception, 23 integrity
constraint violation; everything else retried), SQLite's by their PEP 249 class. The
COPY path raises psycopg's own errors, not SQLAlchemy's, so both kinds are read.
"""

from __future__ import annotations

import re
import sqlite3
from enum import StrEnum

import sqlalchemy as sa

# NUL and lone surrogates: no text column (PostgreSQL) takes them.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
MAX_DETAIL = 1000


class Fault(StrEnum):
    """Whose fault a failed write is; see the module docstring."""

    INTEGRITY = "integrity"
    DATA = "data"
    OUTAGE = "outage"


def fault_of(err: BaseException) -> Fault:
    """Classify an exception raised while writing a batch."""
    if isinstance(err, sa.exc.DBAPIError) and err.connection_invalidated:
        return Fault.OUTAGE
    if isinstance(err, sa.exc.StatementError) and err.orig is not None:
        return fault_of(err.orig)  # SQLAlchemy's wrapper: the driver's error decides
    sqlstate = getattr(err, "sqlstate", None)
    if isinstance(sqlstate, str) and len(sqlstate) == 5:
        if sqlstate.startswith("23"):
            return Fault.INTEGRITY
        if sqlstate.startswith("22"):
            return Fault.DATA
        return Fault.OUTAGE
    names = {cls.__name__ for cls in type(err).__mro__}
    if isinstance(err, sqlite3.IntegrityError) or "IntegrityError" in names:
        return Fault.INTEGRITY
    if isinstance(err, sqlite3.DataError) or "DataError" in names:
        return Fault.DATA
    if isinstance(err, sqlite3.Error) or "DatabaseError" in names:
        return Fault.OUTAGE  # locked, disk I/O, connection: the database's, not the message's
    # Raised while building one message's rows (a date out of range in the site's time
    # zone, an integer too large for the driver): the message's own values are at fault.
    if isinstance(err, ValueError | ArithmeticError):
        return Fault.DATA
    return Fault.OUTAGE


def describe(err: BaseException) -> str:
    """One line for a dead letter's detail: the database's own message, storable as text."""
    orig = err.orig if isinstance(err, sa.exc.StatementError) and err.orig is not None else err
    text = str(orig).strip() or type(orig).__name__
    if not isinstance(orig, sa.exc.SQLAlchemyError) and getattr(orig, "sqlstate", None) is None:
        text = f"{type(orig).__name__}: {text}"
    line = " ".join(text.split())  # PostgreSQL adds DETAIL/CONTEXT lines: keep them, on one line
    return _UNSTORABLE.sub("?", line)[:MAX_DETAIL]
