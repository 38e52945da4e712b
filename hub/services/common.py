"""Helpers every service uses: fetch-or-404, commit-or-409, counted pages."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, func, select
from sqlmodel.sql.expression import SelectOfScalar

from hub.errors import ConflictError, NotFoundError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=SQLModel)


def get_or_404(session: Session, model: type[M], ident: Any, *, what: str) -> M:
    """The row with this primary key, else NotFoundError naming what was missing."""
    row = session.get(model, ident)
    if row is None:
        raise NotFoundError(f"{what} {ident} not found")
    return row


def commit_or_conflict(session: Session, *, message: str) -> None:
    """Commit; on a constraint violation roll everything back and raise ConflictError."""
    try:
        session.commit()
    except IntegrityError as err:
        session.rollback()
        log.info("refused write: %s (%s)", message, err.orig)
        raise ConflictError(message) from err


def flush_or_conflict(session: Session, *, message: str) -> None:
    """Flush (a new row gets its id); on a constraint violation roll back, ConflictError."""
    try:
        session.flush()
    except IntegrityError as err:
        session.rollback()
        log.info("refused write: %s (%s)", message, err.orig)
        raise ConflictError(message) from err


def exists(session: Session, stmt: SelectOfScalar[Any]) -> bool:
    """True when the query returns at least one row."""
    return session.exec(stmt.limit(1)).first() is not None


def fetch_page(
    session: Session, stmt: SelectOfScalar[M], *, order_by: Any, limit: int, offset: int
) -> tuple[Sequence[M], int]:
    """The rows of one page and the total count of the unpaginated query."""
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(order_by).limit(limit).offset(offset)).all()
    return rows, int(total)


def ilike_any(columns: Sequence[Any], text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match on any of the columns (works in both languages)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return sa.or_(*(col.ilike(pattern, escape="\\") for col in columns))
