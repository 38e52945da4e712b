"""catalog: dish_category and kitchen_station (bilingual names of dish codes)

Revision ID: 0010_catalog_names
Revises: 0009_topup_request
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_catalog_names"
down_revision: str | None = "0009_topup_request"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dish_category",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dish_category")),
        sa.UniqueConstraint("code", name=op.f("uq_dish_category_code")),
    )
    op.create_table(
        "kitchen_station",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kitchen_station")),
        sa.UniqueConstraint("code", name=op.f("uq_kitchen_station_code")),
    )


def downgrade() -> None:
    op.drop_table("kitchen_station")
    op.drop_table("dish_category")
