"""sync: member-cache publish state per site, pushed device config per device

Revision ID: 0008_sync_downlinks
Revises: 0007_recall
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0008_sync_downlinks"
down_revision: str | None = "0007_recall"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_member_publish",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("published_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("full_requested_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"],
            name=op.f("fk_sync_member_publish_site_id_site"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_sync_member_publish")),
    )
    op.create_table(
        "sync_device_config",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("order_prefix", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("heartbeat_interval_s", sa.Integer(), nullable=False),
        sa.Column("idle_reset_s", sa.Integer(), nullable=False),
        sa.Column("offline_sales", sa.Boolean(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("published_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"],
            name=op.f("fk_sync_device_config_device_id_device"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_sync_device_config")),
    )


def downgrade() -> None:
    op.drop_table("sync_device_config")
    op.drop_table("sync_member_publish")
