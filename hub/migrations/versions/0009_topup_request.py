"""accounts: topup_request (idempotency key of a stored-value top-up per member)

Revision ID: 0009_topup_request
Revises: 0008_sync_downlinks
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0009_topup_request"
down_revision: str | None = "0008_sync_downlinks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topup_request",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("operation_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_topup_request_member_id_member")
        ),
        sa.PrimaryKeyConstraint("member_id", "request_key", name=op.f("pk_topup_request")),
    )


def downgrade() -> None:
    op.drop_table("topup_request")
