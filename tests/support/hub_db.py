"""A hub database made the way the hub makes its own: migrated with its own helper."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import hub.models  # noqa: F401  (every table registered)
from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.settings import Settings


def migrated_engine(directory: Path) -> Engine:
    """A fresh hub database in `directory`, migrated with the hub's own helper."""
    engine = make_engine(Settings(demo_mode=True, data_dir=directory))
    upgrade_to_head(engine)
    return engine


class RowsSnapshot:
    """Every row of every hub table as it is now; ``restore`` puts the database back.

    For property-based sequences of API calls: each scenario must start from the same
    database, or the same generated prefix meets other answers and Hypothesis calls the
    run flaky. Ids restart where they were (SQLite's rowids, PostgreSQL's sequences), so a
    scenario creates the same ids each time.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tables = [t for t in SQLModel.metadata.sorted_tables]
        with engine.connect() as conn:
            self.rows = {t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))]
                         for t in self.tables}

    def restore(self) -> None:
        """Delete what the scenario wrote and put the first rows back, in one transaction."""
        with self.engine.begin() as conn:
            for table in reversed(self.tables):
                conn.execute(table.delete())
            for table in self.tables:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
            if conn.dialect.name == "postgresql":
                for table in self.tables:
                    for column in table.primary_key.columns:
                        seq = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                           {"t": table.name, "c": column.name}).scalar()
                        if seq is None:
                            continue
                        top = conn.execute(sa.select(sa.func.max(column))).scalar()
                        conn.execute(sa.text("SELECT setval(:s, :v, :called)"),
                                     {"s": seq, "v": top or 1, "called": top is not None})
            elif conn.dialect.has_table(conn, "sqlite_sequence"):
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))
