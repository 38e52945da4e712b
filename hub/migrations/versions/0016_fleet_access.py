"""Fleet: one-time claim codes, dynamic-security clients

A device is claimed with a one-time code made on the hub (only its SHA-256 is kept); every
try is recorded per address so that guessing is limited (issue 16).

Revision ID: 0016_fleet_access
Revises: 0015_recommend_models
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0016_fleet_access"
down_revision: str | None = "0015_recommend_models"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fleet_claim_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hint", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("device_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("device_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"],
            name=op.f("fk_fleet_claim_code_device_id_device"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"],
            name=op.f("fk_fleet_claim_code_site_id_site"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_claim_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_fleet_claim_code_code_hash")),
    )
    op.create_index(op.f("ix_fleet_claim_code_site_id"), "fleet_claim_code", ["site_id"],
                    unique=False)
    op.create_table(
        "fleet_claim_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remote", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_claim_attempt")),
    )
    op.create_index("ix_fleet_claim_attempt_remote_at", "fleet_claim_attempt",
                    ["remote", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_fleet_claim_attempt_remote_at", table_name="fleet_claim_attempt")
    op.drop_table("fleet_claim_attempt")
    op.drop_index(op.f("ix_fleet_claim_code_site_id"), table_name="fleet_claim_code")
    op.drop_table("fleet_claim_code")
