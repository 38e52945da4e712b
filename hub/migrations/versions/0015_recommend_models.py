"""Recommendations: trained model versions and their manifests

Each row is one model version of one site: the ONNX file itself (a few hundred dishes make
about a megabyte), its manifest (version, sha256, input layout, created at), the catalog
version it was trained for and the metrics of its validation.

Revision ID: 0015_recommend_models
Revises: 0014_crm_cases
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0015_recommend_models"
down_revision: str | None = "0014_crm_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recommend_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("dishes", sa.Integer(), nullable=False),
        sa.Column("orders_used", sa.Integer(), nullable=False),
        sa.Column("train_seconds", sa.Float(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", hub.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_recommend_model_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommend_model")),
        sa.UniqueConstraint("site_id", "version", name="uq_recommend_model_site_version"),
    )
    with op.batch_alter_table("recommend_model") as batch:
        batch.create_index(batch.f("ix_recommend_model_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recommend_model") as batch:
        batch.drop_index(batch.f("ix_recommend_model_site_id"))
    op.drop_table("recommend_model")
