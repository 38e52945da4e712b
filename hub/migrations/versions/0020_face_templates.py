"""Face-ID: consented, encrypted face templates

One template per member (Fernet ciphertext of the vector), deleted with the member and
whenever the member's face consent (member.consent_face_at, already there) is withdrawn.

Revision ID: 0020_face_templates
Revises: 0019_supply_stock
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0020_face_templates"
down_revision: str | None = "0019_supply_stock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(n: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def _utc() -> sa.types.TypeEngine:
    return hub.db_types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "face_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("template_id", _str(36), nullable=False),
        sa.Column("model", _str(64), nullable=False),
        sa.Column("template_encrypted", _str(2048), nullable=False),
        sa.Column("consent_version", _str(64), nullable=False),
        sa.Column("consent_lang", _str(8), nullable=False),
        sa.Column("enrolled_by", _str(80), nullable=False),
        sa.Column("enrolled_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_face_template_member_id_member"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_template")),
        sa.UniqueConstraint("member_id", name=op.f("uq_face_template_member_id")),
        sa.UniqueConstraint("template_id", name=op.f("uq_face_template_template_id")),
    )


def downgrade() -> None:
    op.drop_table("face_template")
