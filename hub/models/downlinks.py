"""What the hub last published per site (member cache) and per device (device config)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import utc_field
from protocol.payloads.config import ORDER_PREFIX_PATTERN


class MemberPublish(SQLModel, table=True):
    """The member-cache version a site's devices were last sent (moved only after PUBACK)."""

    __tablename__ = "sync_member_publish"

    site_id: int = Field(primary_key=True, foreign_key="site.id", ondelete="CASCADE")
    to_version: int = Field(default=0, ge=0)
    published_at: datetime | None = utc_field()
    # Set by ingest when a device's heartbeat shows a cache it cannot catch up from.
    full_requested_at: datetime | None = utc_field()


class DeviceConfigRow(SQLModel, table=True):
    """The settings pushed to one device (device.config); version grows with each change."""

    __tablename__ = "sync_device_config"

    device_id: int = Field(primary_key=True, foreign_key="device.id", ondelete="CASCADE")
    version: int = Field(default=1, ge=1)
    order_prefix: str | None = Field(default=None, max_length=2)
    heartbeat_interval_s: int = Field(default=30, ge=5, le=3600)
    idle_reset_s: int = Field(default=90, ge=10, le=3600)
    offline_sales: bool = True
    # Schema-1.1 settings (languages, layout, hardware; protocol's OPTION_FIELDS), set by
    # the fleet pages and rollouts (issue 16) and validated with protocol's DeviceConfig.
    options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    digest: str = Field(default="", max_length=64)
    published_at: datetime | None = utc_field()


class DeviceConfigIn(SQLModel):
    """Changes to a device's settings (omitted fields keep their value)."""

    order_prefix: str | None = Field(default=None, schema_extra={"pattern": ORDER_PREFIX_PATTERN})
    heartbeat_interval_s: int | None = Field(default=None, ge=5, le=3600)
    idle_reset_s: int | None = Field(default=None, ge=10, le=3600)
    offline_sales: bool | None = None


class DownlinkStatus(SQLModel, table=True):
    """How a site's last downlink build went: the rows left out, or why none could be sent.

    One row per site and kind (``catalog``, ``members``), written by whoever builds the
    downlink (the publisher process, the API's publish routes) when the outcome changes.
    """

    __tablename__ = "sync_downlink_status"

    site_id: int = Field(primary_key=True, foreign_key="site.id", ondelete="CASCADE")
    kind: str = Field(primary_key=True, max_length=16)
    # Why nothing was sent (the whole downlink failed); None when it went out.
    error: str | None = Field(default=None, max_length=1000)
    # Rows left out of what was sent: [{"what": "meal_period", "code": ..., "reason": ...}].
    problems: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON,
                                           nullable=False)
    # When this outcome was first seen (the row is written only when the outcome changes).
    since: datetime | None = utc_field()
