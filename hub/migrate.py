"""Schema migrations: upgrade to head on start, refuse a database newer than this hub."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer hub than this one."""


def alembic_config(connection: Connection | None = None, *, schema: str | None = None) -> Config:
    """An Alembic config built in code, so no alembic.ini is needed at run time."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    return cfg


def head_revision() -> str:
    """The newest revision this hub knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found in hub/migrations/versions")
    return head


def current_revision(engine: Engine, *, schema: str | None = None) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table_schema": schema})
        heads = ctx.get_current_heads()
    return heads[0] if heads else None


def check_not_newer(engine: Engine, *, schema: str | None = None) -> str | None:
    """Raise SchemaTooNewError if the database is at a revision this hub does not know."""
    current = current_revision(engine, schema=schema)
    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise SchemaTooNewError(
            f"database schema is at revision {current!r}, which this hub does not know "
            f"(its newest is {script.get_current_head()!r}): the database was migrated by a "
            "newer canteen-hub; upgrade the hub instead of running this one"
        )
    return current


def upgrade_to_head(engine: Engine, *, schema: str | None = None) -> str:
    """Migrate the database to this hub's head revision and return it."""
    before = check_not_newer(engine, schema=schema)
    head = head_revision()
    if before != head:
        log.info("migrating database schema %s -> %s", before, head)
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn, schema=schema), "head")
    return head


NOT_MIGRATED = "database not migrated: run `canteen-hub migrate`"
"""What a hub process says when it finds the schema behind its head."""


def is_migrated(engine: Engine, *, schema: str | None = None) -> bool:
    """True at this hub's head; False behind it; SchemaTooNewError ahead of it."""
    return check_not_newer(engine, schema=schema) == head_revision()
