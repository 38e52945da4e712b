"""surveys: dish votes and short surveys, and members' answers

Revision ID: 0025_surveys
Revises: 0024_notifications
Create Date: 2026-12-05 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0025_surveys"
down_revision: str | None = "0024_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = hub.db_types.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("title_zh", _text(80), nullable=False),
        sa.Column("title_en", _text(80), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("opens_at", UTC, nullable=False),
        sa.Column("closes_at", UTC, nullable=False),
        sa.Column("closed_early_at", UTC, nullable=True),
        sa.Column("created_by", _text(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("kind IN ('dish_vote', 'survey')", name=op.f("ck_survey_kind_known")),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_survey_window_forward")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_survey_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
    )
    op.create_index(op.f("ix_survey_site_id"), "survey", ["site_id"])
    op.create_index(op.f("ix_survey_opens_at"), "survey", ["opens_at"])
    op.create_index(op.f("ix_survey_closes_at"), "survey", ["closes_at"])
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("answered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"],
                                name=op.f("fk_survey_response_survey_id_survey"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_survey_response_member_id_member"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint("survey_id", "member_id",
                            name=op.f("uq_survey_response_member")),
    )
    op.create_index(op.f("ix_survey_response_survey_id"), "survey_response", ["survey_id"])
    op.create_index(op.f("ix_survey_response_member_id"), "survey_response", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_response_member_id"), table_name="survey_response")
    op.drop_index(op.f("ix_survey_response_survey_id"), table_name="survey_response")
    op.drop_table("survey_response")
    op.drop_index(op.f("ix_survey_closes_at"), table_name="survey")
    op.drop_index(op.f("ix_survey_opens_at"), table_name="survey")
    op.drop_index(op.f("ix_survey_site_id"), table_name="survey")
    op.drop_table("survey")
