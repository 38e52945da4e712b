"""fleet: broker accounts (Mosquitto password hash per device and hub service user)

Revision ID: 0006_fleet
Revises: 0005_tracking
Create Date: 2026-11-25 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0006_fleet"
down_revision: str | None = "0005_tracking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broker_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("broker_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("issued_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"],
            name=op.f("fk_broker_account_device_id_device"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_account")),
        sa.UniqueConstraint("device_id", name=op.f("uq_broker_account_device_id")),
        sa.UniqueConstraint("username", name=op.f("uq_broker_account_username")),
    )


def downgrade() -> None:
    op.drop_table("broker_account")
