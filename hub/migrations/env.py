"""Alembic environment: runs on the connection hub.migrate hands over in config.attributes."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import hub.models  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through `canteen-hub migrate` (hub.migrate), not bare alembic"
    )

schema = config.attributes.get("schema")
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    version_table_schema=schema,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
