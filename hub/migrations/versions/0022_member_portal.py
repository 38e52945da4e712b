"""member web page: sign-in codes, member sessions, erasure requests

One-time sign-in codes (hashed, with expiry and attempt count, the asking address as a
keyed hash), member sessions (token hashed, with expiry) and erasure requests recorded
for staff. New tables only: nothing existing changes.

Revision ID: 0022_member_portal
Revises: 0021_month_closure
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0022_member_portal"
down_revision: str | None = "0021_month_closure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = hub.db_types.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _member_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                   name=op.f(f"fk_{table}_member_id_member"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "member_portal_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("challenge", _text(64), nullable=False),
        sa.Column("code_hash", _text(64), nullable=False),
        sa.Column("channel", _text(16), nullable=False),
        sa.Column("address_hash", _text(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.CheckConstraint("attempts >= 0",
                           name=op.f("ck_member_portal_code_attempts_counted")),
        _member_fk("member_portal_code"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_portal_code")),
        sa.UniqueConstraint("challenge", name=op.f("uq_member_portal_code_challenge")),
    )
    op.create_index(op.f("ix_member_portal_code_member_id"), "member_portal_code",
                    ["member_id"], unique=False)
    op.create_index(op.f("ix_member_portal_code_address_hash"), "member_portal_code",
                    ["address_hash"], unique=False)
    op.create_table(
        "member_portal_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _text(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        _member_fk("member_portal_session"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_portal_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_member_portal_session_token_hash")),
    )
    op.create_index(op.f("ix_member_portal_session_member_id"), "member_portal_session",
                    ["member_id"], unique=False)
    op.create_table(
        "member_erasure_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("state", _text(16), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("handled_at", UTC, nullable=True),
        sa.Column("handled_by", _text(64), nullable=True),
        sa.Column("note", _text(300), nullable=True),
        sa.CheckConstraint("state IN ('open', 'done', 'refused')",
                           name=op.f("ck_member_erasure_request_state_known")),
        _member_fk("member_erasure_request"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_erasure_request")),
    )
    op.create_index(op.f("ix_member_erasure_request_member_id"), "member_erasure_request",
                    ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_member_erasure_request_member_id"),
                  table_name="member_erasure_request")
    op.drop_table("member_erasure_request")
    op.drop_index(op.f("ix_member_portal_session_member_id"), table_name="member_portal_session")
    op.drop_table("member_portal_session")
    op.drop_index(op.f("ix_member_portal_code_address_hash"), table_name="member_portal_code")
    op.drop_index(op.f("ix_member_portal_code_member_id"), table_name="member_portal_code")
    op.drop_table("member_portal_code")
