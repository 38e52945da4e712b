"""Recommender model versions: the ONNX file, its manifest and metrics, per site (issue 15)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field


class RecommendModel(SQLModel, table=True):
    """One trained model version of a site; ``version`` grows by one per site."""

    __tablename__ = "recommend_model"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "version", name="uq_recommend_model_site_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    version: int = Field(ge=1)
    catalog_version: int = Field(ge=0)
    sha256: str = Field(max_length=64)
    size_bytes: int = Field(ge=1)
    dishes: int = Field(ge=0)
    orders_used: int = Field(ge=0)
    train_seconds: float = Field(ge=0)
    manifest: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: datetime = created_at_field()
