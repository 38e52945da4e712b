"""Supply, inventory side (issue 17): suppliers, ingredients, recipes, receipts and lots,
the stock ledger (receipts, back-flushed consumption, waste, count differences), stock counts,
portions prepared per dish and meal period, purchase orders

Revision ID: 0019_supply_stock
Revises: 0018_supply_forecast
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0019_supply_stock"
down_revision: str | None = "0018_supply_forecast"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (  # in creation order; dropped in reverse
    "supplier",
    "ingredient",
    "portion_plan",
    "purchase_order",
    "recipe_line",
    "stock_count",
    "supply_site",
    "goods_receipt",
    "purchase_order_line",
    "stock_lot",
    "stock_movement",
)


def upgrade() -> None:
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("code", name=op.f("uq_supplier_code")),
    )
    op.create_table(
        "ingredient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("pack_size", sa.Float(), nullable=False),
        sa.Column("low_stock", sa.Float(), nullable=False),
        sa.Column("main", sa.Boolean(), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
            name=op.f("fk_ingredient_supplier_id_supplier"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingredient")),
        sa.UniqueConstraint("code", name=op.f("uq_ingredient_code")),
    )
    op.create_index(op.f("ix_ingredient_supplier_id"), "ingredient", ["supplier_id"], unique=False)
    op.create_table(
        "portion_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("dish_id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("meal_period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("prepared", sa.Integer(), nullable=False),
        sa.Column("updated_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["dish_id"], ["dish.id"], name=op.f("fk_portion_plan_dish_id_dish"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_portion_plan_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portion_plan")),
        sa.UniqueConstraint(
            "site_id", "dish_id", "service_date", "meal_period", name="uq_portion_plan_key"
        ),
    )
    op.create_index(op.f("ix_portion_plan_site_id"), "portion_plan", ["site_id"], unique=False)
    op.create_table(
        "purchase_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("deliver_on", sa.Date(), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_purchase_order_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
            name=op.f("fk_purchase_order_supplier_id_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
    )
    op.create_index(op.f("ix_purchase_order_site_id"), "purchase_order", ["site_id"], unique=False)
    op.create_index(
        op.f("ix_purchase_order_supplier_id"), "purchase_order", ["supplier_id"], unique=False
    )
    op.create_table(
        "recipe_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dish_id", sa.Integer(), nullable=False),
        sa.Column("ingredient_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dish_id"], ["dish.id"], name=op.f("fk_recipe_line_dish_id_dish"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ingredient_id"],
            ["ingredient.id"],
            name=op.f("fk_recipe_line_ingredient_id_ingredient"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_line")),
        sa.UniqueConstraint("dish_id", "ingredient_id", name="uq_recipe_line_dish_ingredient"),
    )
    op.create_index(op.f("ix_recipe_line_dish_id"), "recipe_line", ["dish_id"], unique=False)
    op.create_index(
        op.f("ix_recipe_line_ingredient_id"), "recipe_line", ["ingredient_id"], unique=False
    )
    op.create_table(
        "stock_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("ingredient_id", sa.Integer(), nullable=False),
        sa.Column("counted_qty", sa.Float(), nullable=False),
        sa.Column("expected_qty", sa.Float(), nullable=False),
        sa.Column("counted_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("counted_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingredient_id"],
            ["ingredient.id"],
            name=op.f("fk_stock_count_ingredient_id_ingredient"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_stock_count_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_count")),
    )
    op.create_index(op.f("ix_stock_count_site_id"), "stock_count", ["site_id"], unique=False)
    op.create_table(
        "supply_site",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("publish_origin", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_supply_site_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_supply_site")),
    )
    op.create_table(
        "goods_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("received_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=True),
        sa.Column("received_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_goods_receipt_purchase_order_id_purchase_order"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_goods_receipt_site_id_site"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
            name=op.f("fk_goods_receipt_supplier_id_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_receipt")),
    )
    op.create_index(
        op.f("ix_goods_receipt_received_at"), "goods_receipt", ["received_at"], unique=False
    )
    op.create_index(op.f("ix_goods_receipt_site_id"), "goods_receipt", ["site_id"], unique=False)
    op.create_index(
        op.f("ix_goods_receipt_supplier_id"), "goods_receipt", ["supplier_id"], unique=False
    )
    op.create_table(
        "purchase_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("ingredient_id", sa.Integer(), nullable=False),
        sa.Column("packs", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingredient_id"],
            ["ingredient.id"],
            name=op.f("fk_purchase_order_line_ingredient_id_ingredient"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_order_line_purchase_order_id_purchase_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_line")),
    )
    op.create_index(
        op.f("ix_purchase_order_line_purchase_order_id"),
        "purchase_order_line",
        ["purchase_order_id"],
        unique=False,
    )
    op.create_table(
        "stock_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("ingredient_id", sa.Integer(), nullable=False),
        sa.Column("lot_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("produced_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("received_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingredient_id"],
            ["ingredient.id"],
            name=op.f("fk_stock_lot_ingredient_id_ingredient"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["goods_receipt.id"],
            name=op.f("fk_stock_lot_receipt_id_goods_receipt"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_stock_lot_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_lot")),
    )
    op.create_index(
        op.f("ix_stock_lot_ingredient_id"), "stock_lot", ["ingredient_id"], unique=False
    )
    op.create_index(op.f("ix_stock_lot_receipt_id"), "stock_lot", ["receipt_id"], unique=False)
    op.create_index(op.f("ix_stock_lot_site_id"), "stock_lot", ["site_id"], unique=False)
    op.create_table(
        "stock_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("ingredient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("dish_id", sa.Integer(), nullable=True),
        sa.Column("meal_period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dish_id"],
            ["dish.id"],
            name=op.f("fk_stock_movement_dish_id_dish"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ingredient_id"],
            ["ingredient.id"],
            name=op.f("fk_stock_movement_ingredient_id_ingredient"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["stock_lot.id"],
            name=op.f("fk_stock_movement_lot_id_stock_lot"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_stock_movement_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movement")),
    )
    op.create_index(
        op.f("ix_stock_movement_business_date"), "stock_movement", ["business_date"], unique=False
    )
    op.create_index(
        "ix_stock_movement_site_ingredient",
        "stock_movement",
        ["site_id", "ingredient_id"],
        unique=False,
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
