"""member identifiers, coupons, promotions, member-cache state, import jobs

Revision ID: 0004_identity
Revises: 0003_accounts
Create Date: 2026-11-24 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0004_identity"
down_revision: str | None = "0003_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coupon_redemption_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("redeemed_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_order_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("detected_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemption_conflict")),
        sa.UniqueConstraint("coupon_id", "order_id", name="uq_coupon_redemption_conflict_order"),
    )
    with op.batch_alter_table("coupon_redemption_conflict", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_redemption_conflict_coupon_id"), ["coupon_id"], unique=False
        )

    op.create_table(
        "coupon_template",
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("max_off_cents", sa.Integer(), nullable=True),
        sa.Column("dish_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("min_spend_cents", sa.Integer(), nullable=False),
        sa.Column("dish_codes", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("auto_issue", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_template")),
        sa.UniqueConstraint("code", name=op.f("uq_coupon_template_code")),
    )
    op.create_table(
        "member_import_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_import_job")),
    )
    op.create_table(
        "token_signing_key",
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "private_key_encrypted", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False
        ),
        sa.Column("public_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_token_signing_key")),
    )
    op.create_table(
        "coupon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("issue_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("valid_from", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issued_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("redeemed_order_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("redeemed_device_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("redeemed_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_coupon_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["coupon_template.id"],
            name=op.f("fk_coupon_template_id_coupon_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon")),
        sa.UniqueConstraint("issue_key", name=op.f("uq_coupon_issue_key")),
    )
    with op.batch_alter_table("coupon", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coupon_template_id"), ["template_id"], unique=False)

    op.create_table(
        "member_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("card_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("card_encrypted", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("block_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("blocked_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_card_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_card")),
        sa.UniqueConstraint("card_hash", name=op.f("uq_member_card_card_hash")),
    )
    with op.batch_alter_table("member_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_card_member_id"), ["member_id"], unique=False)

    op.create_table(
        "member_cache_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("identifier_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_member_cache_entry_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_cache_entry")),
        sa.UniqueConstraint("site_id", "identifier_hash", name="uq_member_cache_entry_site_hash"),
    )
    with op.batch_alter_table("member_cache_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_cache_entry_site_version", ["site_id", "version"], unique=False
        )

    op.create_table(
        "member_cache_site",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("updated_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_member_cache_site_site_id_site")
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_member_cache_site")),
    )
    op.create_table(
        "promotion",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("percent_bp", sa.Integer(), nullable=True),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("threshold_cents", sa.Integer(), nullable=True),
        sa.Column("save_cents", sa.Integer(), nullable=True),
        sa.Column("members_only", sa.Boolean(), nullable=False),
        sa.Column("set_meal_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("valid_from", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_promotion_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion")),
        sa.UniqueConstraint("code", name=op.f("uq_promotion_code")),
    )
    op.create_table(
        "site_identity_key",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("key_encrypted", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_site_identity_key_site_id_site")
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_identity_key")),
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table("site_identity_key")
    op.drop_table("promotion")
    op.drop_table("member_cache_site")
    with op.batch_alter_table("member_cache_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_member_cache_entry_site_version")

    op.drop_table("member_cache_entry")
    with op.batch_alter_table("member_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_card_member_id"))

    op.drop_table("member_card")
    with op.batch_alter_table("coupon", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_template_id"))
        batch_op.drop_index(batch_op.f("ix_coupon_member_id"))

    op.drop_table("coupon")
    op.drop_table("token_signing_key")
    op.drop_table("member_import_job")
    op.drop_table("coupon_template")
    with op.batch_alter_table("coupon_redemption_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_redemption_conflict_coupon_id"))

    op.drop_table("coupon_redemption_conflict")
    # ### end Alembic commands ###
