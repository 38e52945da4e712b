"""analytics: sales rollups the dashboard reads

Revision ID: 0023_sales_rollups
Revises: 0022_member_portal
Create Date: 2026-12-05 02:00:00

The tables start empty: a hub upgraded with orders already stored fills them once with
``canteen-hub analytics rebuild-rollups``; from then on ingest keeps them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023_sales_rollups"
down_revision: str | None = "0022_member_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sales_dish_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        _text("dish_code", 32),
        _text("station", 32),
        sa.Column("dish_id", sa.Integer(), nullable=True),
        _text("name_zh", 120),
        _text("name_en", 120),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], ondelete="CASCADE",
                                name=op.f("fk_sales_dish_day_site_id_site")),
        sa.PrimaryKeyConstraint("day", "site_id", "dish_code", "station",
                                name=op.f("pk_sales_dish_day")),
    )
    op.create_table(
        "sales_slot_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        _text("meal_period", 32),
        _text("payment", 32),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], ondelete="CASCADE",
                                name=op.f("fk_sales_slot_day_site_id_site")),
        sa.PrimaryKeyConstraint("day", "site_id", "hour", "meal_period", "payment",
                                name=op.f("pk_sales_slot_day")),
    )


def downgrade() -> None:
    op.drop_table("sales_slot_day")
    op.drop_table("sales_dish_day")
