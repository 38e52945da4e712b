"""CRM: tag rules, member tags with evidence, segments, RFM and churn scores

Revision ID: 0013_crm_tags
Revises: 0012_member_organisation
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0013_crm_tags"
down_revision: str | None = "0012_member_organisation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _utc() -> hub.db_types.UTCDateTime:
    return hub.db_types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_tag_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", _str(32), nullable=False),
        sa.Column("name_zh", _str(60), nullable=False),
        sa.Column("name_en", _str(60), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("refreshed_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_tag_rule")),
        sa.UniqueConstraint("code", name=op.f("uq_crm_tag_rule_code")),
    )
    op.create_table(
        "crm_member_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("tag", _str(32), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("given_by", _str(64), nullable=True),
        sa.Column("given_at", _utc(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_crm_member_tag_member_id_member"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rule_id"], ["crm_tag_rule.id"],
                                name=op.f("fk_crm_member_tag_rule_id_crm_tag_rule"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_member_tag")),
        sa.UniqueConstraint("member_id", "tag", name="uq_crm_member_tag_member"),
    )
    op.create_index(op.f("ix_crm_member_tag_member_id"), "crm_member_tag", ["member_id"])
    op.create_index(op.f("ix_crm_member_tag_tag"), "crm_member_tag", ["tag"])
    op.create_index(op.f("ix_crm_member_tag_rule_id"), "crm_member_tag", ["rule_id"])
    op.create_table(
        "crm_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _str(120), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", _str(64), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_segment")),
        sa.UniqueConstraint("name", name=op.f("uq_crm_segment_name")),
    )
    op.create_table(
        "crm_member_score",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("recency_days", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary_cents", sa.Integer(), nullable=False),
        sa.Column("r", sa.Integer(), nullable=False),
        sa.Column("f", sa.Integer(), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.Column("churn_probability", sa.Float(), nullable=False),
        sa.Column("method", _str(16), nullable=False),
        sa.Column("scored_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_crm_member_score_member_id_member"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_crm_member_score")),
    )
    op.create_table(
        "crm_score_fit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fitted_at", _utc(), nullable=False),
        sa.Column("method", _str(16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_score_fit")),
    )


def downgrade() -> None:
    op.drop_table("crm_score_fit")
    op.drop_table("crm_member_score")
    op.drop_table("crm_segment")
    op.drop_index(op.f("ix_crm_member_tag_rule_id"), table_name="crm_member_tag")
    op.drop_index(op.f("ix_crm_member_tag_tag"), table_name="crm_member_tag")
    op.drop_index(op.f("ix_crm_member_tag_member_id"), table_name="crm_member_tag")
    op.drop_table("crm_member_tag")
    op.drop_table("crm_tag_rule")
