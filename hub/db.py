"""Engines and sessions: SQLite with WAL/foreign keys/busy timeout, PostgreSQL per schema."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.settings import Settings

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Per-connection SQLite settings: WAL for concurrent readers, enforced foreign keys."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(settings: Settings) -> Engine:
    """Build (but do not connect) the engine the settings describe."""
    url = sa.make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if settings.db_schema:
        # Every connection sees only its own schema, so tables, reflection and the
        # Alembic version table all land there (create_all alone would use public).
        connect_args["options"] = f"-csearch_path={settings.db_schema}"
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield one session per unit of work; the caller commits."""
    with Session(engine) as session:
        yield session
