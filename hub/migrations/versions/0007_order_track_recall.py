"""tracking: order_track_event.recall (a cook's recall, not a display's first-seen start)

Revision ID: 0007_recall
Revises: 0006_fleet
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_recall"
down_revision: str | None = "0006_fleet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Events stored before the flag existed read as first-seen starts (false).
    with op.batch_alter_table("order_track_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recall", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("order_track_event", schema=None) as batch_op:
        batch_op.drop_column("recall")
