"""member accounts: ledger, lots, order postings, overdrafts, subsidy/bonus/tier rules, audit log

Revision ID: 0003_accounts
Revises: 0002
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0003_accounts"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_entity"), ["entity"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_member_id"), ["member_id"], unique=False)

    op.create_table(
        "subsidy_rule",
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("employer", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("meal_period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("weekdays", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_rule")),
        sa.UniqueConstraint("code", name=op.f("uq_subsidy_rule_code")),
    )
    op.create_table(
        "tier_definition",
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("min_spend_cents", sa.Integer(), nullable=False),
        sa.Column("min_visits", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("member_price", sa.Boolean(), nullable=False),
        sa.Column("points_multiplier_pct", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_definition")),
        sa.UniqueConstraint("code", name=op.f("uq_tier_definition_code")),
        sa.UniqueConstraint("rank", name=op.f("uq_tier_definition_rank")),
    )
    op.create_table(
        "topup_bonus_rule",
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("min_topup_cents", sa.Integer(), nullable=False),
        sa.Column("bonus_cents", sa.Integer(), nullable=False),
        sa.Column("bonus_bp", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topup_bonus_rule")),
        sa.UniqueConstraint("code", name=op.f("uq_topup_bonus_rule_code")),
    )
    op.create_table(
        "ledger_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("meal_period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("valid_from", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ledger_lot_amount_pos")),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= amount", name=op.f("ck_ledger_lot_remaining_range")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_ledger_lot_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_lot")),
        sa.UniqueConstraint("member_id", "kind", "source_key", name="uq_ledger_lot_source"),
    )
    with op.batch_alter_table("ledger_lot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_lot_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_ledger_lot_open", ["kind", "expires_at"], unique=False)

    op.create_table(
        "member_account",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("paid_cents", sa.Integer(), nullable=False),
        sa.Column("bonus_cents", sa.Integer(), nullable=False),
        sa.Column("subsidy_cents", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("offline_limit_cents", sa.Integer(), nullable=False),
        sa.Column("tier_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("bonus_cents >= 0", name=op.f("ck_member_account_bonus_nonneg")),
        sa.CheckConstraint("offline_limit_cents >= 0", name=op.f("ck_member_account_limit_nonneg")),
        sa.CheckConstraint(
            "paid_cents >= -offline_limit_cents", name=op.f("ck_member_account_paid_within_limit")
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_member_account_points_nonneg")),
        sa.CheckConstraint("subsidy_cents >= 0", name=op.f("ck_member_account_subsidy_nonneg")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_account_member_id_member")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_account")),
    )
    op.create_table(
        "order_posting",
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("payments", sa.JSON(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("points_earned", sa.Integer(), nullable=False),
        sa.Column("placed_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("posted_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_order_posting_member_id_member")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_posting")),
    )
    with op.batch_alter_table("order_posting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_posting_member_placed", ["member_id", "placed_at"], unique=False
        )

    op.create_table(
        "overdraft_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("requested_cents", sa.Integer(), nullable=False),
        sa.Column("uncollected_cents", sa.Integer(), nullable=False),
        sa.Column("shortfall", sa.JSON(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("placed_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolved_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("resolved_at", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_overdraft_flag_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overdraft_flag")),
        sa.UniqueConstraint("order_id", name=op.f("uq_overdraft_flag_order_id")),
    )
    with op.batch_alter_table("overdraft_flag", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_overdraft_flag_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_overdraft_flag_status"), ["status"], unique=False)

    op.create_table(
        "tier_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("from_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("to_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("spend_cents", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("changed_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_tier_change_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_change")),
    )
    with op.batch_alter_table("tier_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tier_change_member_id"), ["member_id"], unique=False)

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("operation_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entry_amount_nonzero")),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["ledger_lot.id"], name=op.f("fk_ledger_entry_lot_id_ledger_lot")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_ledger_entry_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_member_account", ["member_id", "account", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entry_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ledger_entry_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_order_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entry_operation_id"))
        batch_op.drop_index("ix_ledger_entry_member_account")

    op.drop_table("ledger_entry")
    with op.batch_alter_table("tier_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tier_change_member_id"))

    op.drop_table("tier_change")
    with op.batch_alter_table("overdraft_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overdraft_flag_status"))
        batch_op.drop_index(batch_op.f("ix_overdraft_flag_member_id"))

    op.drop_table("overdraft_flag")
    with op.batch_alter_table("order_posting", schema=None) as batch_op:
        batch_op.drop_index("ix_order_posting_member_placed")

    op.drop_table("order_posting")
    op.drop_table("member_account")
    with op.batch_alter_table("ledger_lot", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_lot_open")
        batch_op.drop_index(batch_op.f("ix_ledger_lot_member_id"))

    op.drop_table("ledger_lot")
    op.drop_table("topup_bonus_rule")
    op.drop_table("tier_definition")
    op.drop_table("subsidy_rule")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_member_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_entity"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))

    op.drop_table("audit_log")
