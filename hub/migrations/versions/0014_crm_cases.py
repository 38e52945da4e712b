"""CRM: complaint cases, per-dish ratings, campaigns with a holdout

Per-dish ratings and complaint cases come from kiosk feedback through ingest; campaigns
record who was targeted (treatment or holdout) and what each member is to be told at the
next kiosk visit (crm_member_message). New tables only: nothing existing changes.

Revision ID: 0014_crm_cases
Revises: 0013_crm_tags
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0014_crm_cases"
down_revision: str | None = "0013_crm_tags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_dish_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("dish_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("station", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("meal_period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("per_dish", sa.Boolean(), nullable=False),
        sa.Column("placed_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_crm_dish_rating_rating_range")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_crm_dish_rating_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_crm_dish_rating_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_crm_dish_rating_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_dish_rating")),
    )
    op.create_index(
        op.f("ix_crm_dish_rating_dish_code"), "crm_dish_rating", ["dish_code"], unique=False
    )
    op.create_index(
        op.f("ix_crm_dish_rating_member_id"), "crm_dish_rating", ["member_id"], unique=False
    )
    op.create_index(
        op.f("ix_crm_dish_rating_order_id"), "crm_dish_rating", ["order_id"], unique=False
    )
    op.create_index(
        op.f("ix_crm_dish_rating_placed_at"), "crm_dish_rating", ["placed_at"], unique=False
    )
    op.create_index(
        op.f("ix_crm_dish_rating_site_id"), "crm_dish_rating", ["site_id"], unique=False
    )
    op.create_table(
        "crm_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_message_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("dishes", sa.JSON(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opened_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("assigned_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("follow_up_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("follow_up_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["users.id"], name=op.f("fk_crm_case_assigned_to_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_crm_case_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_crm_case_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_crm_case_resolved_by_users")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_crm_case_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_case")),
        sa.UniqueConstraint("source_message_id", name=op.f("uq_crm_case_source_message_id")),
    )
    op.create_index(op.f("ix_crm_case_assigned_to"), "crm_case", ["assigned_to"], unique=False)
    op.create_index(op.f("ix_crm_case_due_at"), "crm_case", ["due_at"], unique=False)
    op.create_index(op.f("ix_crm_case_member_id"), "crm_case", ["member_id"], unique=False)
    op.create_index(op.f("ix_crm_case_opened_at"), "crm_case", ["opened_at"], unique=False)
    op.create_index(op.f("ix_crm_case_order_id"), "crm_case", ["order_id"], unique=False)
    op.create_index(op.f("ix_crm_case_priority"), "crm_case", ["priority"], unique=False)
    op.create_index(op.f("ix_crm_case_site_id"), "crm_case", ["site_id"], unique=False)
    op.create_index(op.f("ix_crm_case_status"), "crm_case", ["status"], unique=False)
    op.create_table(
        "crm_case_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["crm_case.id"],
            name=op.f("fk_crm_case_note_case_id_crm_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_case_note")),
    )
    op.create_index(op.f("ix_crm_case_note_case_id"), "crm_case_note", ["case_id"], unique=False)
    op.create_table(
        "crm_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("automation", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("coupon_template_id", sa.Integer(), nullable=True),
        sa.Column("message_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("message_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("holdout_bp", sa.Integer(), nullable=False),
        sa.Column("starts_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("frequency_cap", sa.Integer(), nullable=False),
        sa.Column("allow_overlap", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("launched_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("launched_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_crm_campaign_window_order")),
        sa.CheckConstraint(
            "holdout_bp BETWEEN 0 AND 5000", name=op.f("ck_crm_campaign_holdout_share")
        ),
        sa.ForeignKeyConstraint(
            ["coupon_template_id"],
            ["coupon_template.id"],
            name=op.f("fk_crm_campaign_coupon_template_id_coupon_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_campaign")),
        sa.UniqueConstraint("code", name=op.f("uq_crm_campaign_code")),
    )
    op.create_index(
        op.f("ix_crm_campaign_automation"), "crm_campaign", ["automation"], unique=False
    )
    op.create_index(op.f("ix_crm_campaign_status"), "crm_campaign", ["status"], unique=False)
    op.create_table(
        "crm_campaign_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("arm", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=True),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["crm_campaign.id"],
            name=op.f("fk_crm_campaign_member_campaign_id_crm_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupon.id"], name=op.f("fk_crm_campaign_member_coupon_id_coupon")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_crm_campaign_member_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_campaign_member")),
        sa.UniqueConstraint("campaign_id", "member_id", name="one_per_member"),
    )
    op.create_index(
        op.f("ix_crm_campaign_member_campaign_id"),
        "crm_campaign_member",
        ["campaign_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_crm_campaign_member_member_id"), "crm_campaign_member", ["member_id"], unique=False
    )
    op.create_table(
        "crm_member_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("text_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("offer_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("offer_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("on_screen", sa.Boolean(), nullable=False),
        sa.Column("on_receipt", sa.Boolean(), nullable=False),
        sa.Column("valid_from", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["crm_campaign.id"],
            name=op.f("fk_crm_member_message_campaign_id_crm_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["crm_case.id"],
            name=op.f("fk_crm_member_message_case_id_crm_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_crm_member_message_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_member_message")),
    )
    op.create_index(
        op.f("ix_crm_member_message_campaign_id"),
        "crm_member_message",
        ["campaign_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_crm_member_message_case_id"), "crm_member_message", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_crm_member_message_member_id"), "crm_member_message", ["member_id"], unique=False
    )
    op.create_table(
        "crm_automation",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("coupon_template_id", sa.Integer(), nullable=True),
        sa.Column("holdout_bp", sa.Integer(), nullable=False),
        sa.Column("message_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("message_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["coupon_template_id"],
            ["coupon_template.id"],
            name=op.f("fk_crm_automation_coupon_template_id_coupon_template"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_crm_automation")),
    )


def downgrade() -> None:
    # Tables go with their indexes; dependants first.
    op.drop_table("crm_automation")
    op.drop_table("crm_member_message")
    op.drop_table("crm_campaign_member")
    op.drop_table("crm_campaign")
    op.drop_table("crm_case_note")
    op.drop_table("crm_case")
    op.drop_table("crm_dish_rating")
