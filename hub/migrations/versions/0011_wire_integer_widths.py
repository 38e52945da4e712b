"""ingest: column types wide enough for every numeric wire field

The heartbeat's counts are protocol Counts (0 .. 2^53 - 1); their INTEGER columns refused
a valid heartbeat on PostgreSQL ("integer out of range"), which stopped ingestion (issue
11). tests/ingest/test_wire_widths.py walks every ingested field against its column.

Revision ID: 0011_wire_integer_widths
Revises: 0010_catalog_names
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_wire_integer_widths"
down_revision: str | None = "0010_catalog_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# column -> nullable, in sync_device_health
_WIDENED = {"queue_depth": False, "oldest_unsent_age_s": True, "catalog_version": True}


def upgrade() -> None:
    # batch_alter_table: SQLite cannot ALTER a column's type; it copies the table.
    with op.batch_alter_table("sync_device_health") as batch:
        for name, nullable in _WIDENED.items():
            batch.alter_column(name, existing_type=sa.Integer(), type_=sa.BigInteger(),
                               existing_nullable=nullable)


def downgrade() -> None:
    # Values over 2^31 - 1 fail the downgrade on PostgreSQL rather than being cut.
    with op.batch_alter_table("sync_device_health") as batch:
        for name, nullable in _WIDENED.items():
            batch.alter_column(name, existing_type=sa.BigInteger(), type_=sa.Integer(),
                               existing_nullable=nullable)
