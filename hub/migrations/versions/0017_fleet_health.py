"""Fleet: health summaries, alerts, remote commands, staged rollouts

Heartbeats are summarised per device (latest figures) and per device per 5-minute bucket,
never stored as a row each. Commands keep their result per device; a rollout keeps each
device's stage and outcome. sync_device_config gains ``options`` for the schema-1.1 device
settings (languages, layout, hardware) that the fleet pages edit (issue 16).

Revision ID: 0017_fleet_health
Revises: 0016_fleet_access
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0017_fleet_health"
down_revision: str | None = "0016_fleet_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fleet_rollout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("first_site_id", sa.Integer(), nullable=True),
        sa.Column("first_percent", sa.Integer(), nullable=True),
        sa.Column("step_timeout_s", sa.Integer(), nullable=False),
        sa.Column("max_failure_pct", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_site_id"],
            ["site.id"],
            name=op.f("fk_fleet_rollout_first_site_id_site"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_rollout")),
    )
    op.create_index(op.f("ix_fleet_rollout_status"), "fleet_rollout", ["status"], unique=False)
    op.create_table(
        "fleet_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("opened_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_fleet_alert_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_alert")),
    )
    op.create_index(op.f("ix_fleet_alert_closed_at"), "fleet_alert", ["closed_at"], unique=False)
    op.create_index(op.f("ix_fleet_alert_device_id"), "fleet_alert", ["device_id"], unique=False)
    op.create_table(
        "fleet_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_fleet_command_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_command")),
        sa.UniqueConstraint("command_id", name=op.f("uq_fleet_command_command_id")),
    )
    op.create_index(
        op.f("ix_fleet_command_device_id"), "fleet_command", ["device_id"], unique=False
    )
    op.create_index(op.f("ix_fleet_command_status"), "fleet_command", ["status"], unique=False)
    op.create_table(
        "fleet_device_state",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("presence", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("presence_since", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clock_skew_s", sa.BigInteger(), nullable=True),
        sa.Column("app_version", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("catalog_version", sa.BigInteger(), nullable=True),
        sa.Column("config_version", sa.BigInteger(), nullable=True),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("queue_depth", sa.BigInteger(), nullable=True),
        sa.Column("oldest_unsent_age_s", sa.BigInteger(), nullable=True),
        sa.Column("dead_letters", sa.BigInteger(), nullable=True),
        sa.Column("disk_free_mb", sa.BigInteger(), nullable=True),
        sa.Column("disk_total_mb", sa.BigInteger(), nullable=True),
        sa.Column("uptime_s", sa.BigInteger(), nullable=True),
        sa.Column("printer", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("scale_present", sa.Boolean(), nullable=True),
        sa.Column("card_reader_present", sa.Boolean(), nullable=True),
        sa.Column("cpu_temp_c", sa.Float(), nullable=True),
        sa.Column("in_use", sa.Boolean(), nullable=True),
        sa.Column("pending_update", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_fleet_device_state_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_fleet_device_state")),
    )
    op.create_table(
        "fleet_heartbeat_bucket",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("bucket_start", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beats", sa.BigInteger(), nullable=False),
        sa.Column("last_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("queue_min", sa.BigInteger(), nullable=False),
        sa.Column("queue_max", sa.BigInteger(), nullable=False),
        sa.Column("queue_last", sa.BigInteger(), nullable=False),
        sa.Column("oldest_age_max", sa.BigInteger(), nullable=True),
        sa.Column("disk_free_min", sa.BigInteger(), nullable=True),
        sa.Column("cpu_temp_max", sa.Float(), nullable=True),
        sa.Column("skew_max_s", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_fleet_heartbeat_bucket_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "device_id", "bucket_start", name=op.f("pk_fleet_heartbeat_bucket")
        ),
    )
    op.create_table(
        "fleet_rollout_target",
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target_version", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("started_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_fleet_rollout_target_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["fleet_rollout.id"],
            name=op.f("fk_fleet_rollout_target_rollout_id_fleet_rollout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rollout_id", "device_id", name=op.f("pk_fleet_rollout_target")),
    )
    with op.batch_alter_table("sync_device_config") as batch:
        batch.add_column(
            sa.Column("options", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_device_config") as batch:
        batch.drop_column("options")
    op.drop_table("fleet_rollout_target")
    op.drop_table("fleet_heartbeat_bucket")
    op.drop_table("fleet_device_state")
    op.drop_index(op.f("ix_fleet_command_status"), table_name="fleet_command")
    op.drop_index(op.f("ix_fleet_command_device_id"), table_name="fleet_command")
    op.drop_table("fleet_command")
    op.drop_index(op.f("ix_fleet_alert_device_id"), table_name="fleet_alert")
    op.drop_index(op.f("ix_fleet_alert_closed_at"), table_name="fleet_alert")
    op.drop_table("fleet_alert")
    op.drop_index(op.f("ix_fleet_rollout_status"), table_name="fleet_rollout")
    op.drop_table("fleet_rollout")
