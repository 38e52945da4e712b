"""notifications: outbox, templates, delivery log

A member's contact for notifications (e-mail, encrypted, and language), the outbox (one
row per notification and channel, a unique dedupe key, state and retry schedule) and the
delivery log. New tables only: nothing existing changes.

Revision ID: 0024_notifications
Revises: 0023_sales_rollups
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0024_notifications"
down_revision: str | None = "0023_sales_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = hub.db_types.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "notify_contact",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("email_encrypted", _text(512), nullable=True),
        sa.Column("language", _text(2), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("language IN ('zh', 'en')",
                           name=op.f("ck_notify_contact_language_known")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_notify_contact_member_id_member"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_notify_contact")),
    )
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("kind", _text(32), nullable=False),
        sa.Column("channel", _text(16), nullable=False),
        sa.Column("language", _text(2), nullable=False),
        sa.Column("marketing", sa.Boolean(), nullable=False),
        sa.Column("subject", _text(200), nullable=False),
        sa.Column("body", _text(2000), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", _text(160), nullable=False),
        sa.Column("state", _text(16), nullable=False),
        sa.Column("reason", _text(300), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.CheckConstraint("state IN ('queued', 'sent', 'failed', 'suppressed')",
                           name=op.f("ck_notify_outbox_state_known")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notify_outbox_attempts_counted")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_notify_outbox_member_id_member"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"],
                                name=op.f("fk_notify_outbox_site_id_site"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notify_outbox_dedupe_key")),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["state", "next_attempt_at"],
                    unique=False)
    op.create_index(op.f("ix_notify_outbox_kind"), "notify_outbox", ["kind"], unique=False)
    op.create_index(op.f("ix_notify_outbox_member_id"), "notify_outbox", ["member_id"],
                    unique=False)
    op.create_table(
        "notify_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("channel", _text(16), nullable=False),
        sa.Column("outcome", _text(16), nullable=False),
        sa.Column("detail", _text(500), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["notify_outbox.id"],
                                name=op.f("fk_notify_delivery_outbox_id_notify_outbox"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_delivery")),
    )
    op.create_index(op.f("ix_notify_delivery_at"), "notify_delivery", ["at"], unique=False)
    op.create_index(op.f("ix_notify_delivery_outbox_id"), "notify_delivery", ["outbox_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_notify_delivery_outbox_id"), table_name="notify_delivery")
    op.drop_index(op.f("ix_notify_delivery_at"), table_name="notify_delivery")
    op.drop_table("notify_delivery")
    op.drop_index(op.f("ix_notify_outbox_member_id"), table_name="notify_outbox")
    op.drop_index(op.f("ix_notify_outbox_kind"), table_name="notify_outbox")
    op.drop_index("ix_notify_outbox_due", table_name="notify_outbox")
    op.drop_table("notify_outbox")
    op.drop_table("notify_contact")
