"""A scratch hub database for one benchmark run: SQLite in a temporary folder, or a fresh
PostgreSQL schema dropped at the end; migrated to head either way."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.settings import Settings


@contextmanager
def scratch_hub(database_url: str | None, prefix: str = "bench") -> Iterator[sa.Engine]:
    """A migrated hub engine: PostgreSQL at ``database_url`` (own schema), else SQLite."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    schema = None
    dsn = ""
    if database_url:
        import psycopg

        schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
        dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        settings = Settings(_env_file=None, data_dir=tmp, database_url=database_url,
                            db_schema=schema, demo_mode=True)
    else:
        settings = Settings(_env_file=None, data_dir=tmp, demo_mode=True)
    engine = make_engine(settings)
    try:
        upgrade_to_head(engine, schema=schema)
        yield engine
    finally:
        engine.dispose()
        if schema is not None:
            import psycopg

            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
