"""Tables of the MQTT ingest path: message log, conflicts, dead letters, reviews, versions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class IngestedMessage(SQLModel, table=True):
    """One uplink event committed by the ingest worker, keyed on the device-made message id.

    ``digest`` is protocol's content digest: the same id with the same digest is
    a re-send (duplicate), with another digest a conflict. ``business_day`` is
    the order's date in the site's time zone, so per-day totals need no
    time-zone arithmetic in SQL.
    """

    __tablename__ = "sync_message"
    __table_args__ = (sa.Index("ix_sync_message_site_day", "site_id", "business_day"),)

    message_id: str = Field(primary_key=True, max_length=36)
    digest: str = Field(max_length=64)
    type: str = Field(max_length=64)
    site_id: int = Field(foreign_key="site.id")
    device_id: int = Field(foreign_key="device.id", index=True)
    order_id: str | None = Field(default=None, max_length=36, unique=True)
    business_day: str | None = Field(default=None, max_length=10)
    received_at: datetime = created_at_field()


class IngestConflict(SQLModel, table=True):
    """A message that reused an ingested id (or order id) with different content."""

    __tablename__ = "sync_conflict"
    __table_args__ = (
        sa.UniqueConstraint("message_id", "digest", name="uq_sync_conflict_message_digest"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=36, index=True)
    digest: str = Field(max_length=64)
    stored_digest: str | None = Field(default=None, max_length=64)
    reason: str = Field(max_length=200)
    topic: str = Field(max_length=300)
    raw: bytes = Field(sa_type=sa.LargeBinary)
    received_at: datetime = created_at_field()


class DeadLetter(SQLModel, table=True):
    """A message that can never be ingested: why, where it came from, and its bytes."""

    __tablename__ = "sync_dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(max_length=32, index=True)
    detail: str = Field(default="", max_length=1000)
    topic: str = Field(max_length=300)
    site_code: str | None = Field(default=None, max_length=64)
    device_code: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=36, index=True)
    size_bytes: int = Field(ge=0)
    # Oversized messages keep only their first bytes (size_bytes tells the rest).
    raw: bytes = Field(sa_type=sa.LargeBinary)
    received_at: datetime = created_at_field()


class DeadLetterPublic(SQLModel):
    """A dead letter as the API returns it; the raw bytes as text with replacement characters."""

    id: int
    reason: str
    detail: str
    topic: str
    site_code: str | None
    device_code: str | None
    message_id: str | None
    size_bytes: int
    raw_text: str
    received_at: datetime


class PriceReview(SQLModel, table=True):
    """An ingested order whose kiosk figures differ from the hub's: kept as recorded, flagged."""

    __tablename__ = "sync_price_review"

    order_id: str = Field(
        primary_key=True, foreign_key="orders.id", ondelete="CASCADE", max_length=36
    )
    kiosk_subtotal_cents: int
    hub_subtotal_cents: int
    kiosk_total_cents: int
    hub_total_cents: int
    detail: str = Field(default="", max_length=1000)
    created_at: datetime = created_at_field()


class DeviceHealth(SQLModel, table=True):
    """The last heartbeat of a device, as the fleet view needs it."""

    __tablename__ = "sync_device_health"

    device_id: int = Field(primary_key=True, foreign_key="device.id", ondelete="CASCADE")
    heartbeat_at: datetime | None = utc_field()
    # BIGINT: the heartbeat's counts are protocol Counts (up to 2^53 - 1); an INTEGER
    # column refused a valid heartbeat on PostgreSQL (hub/ingest/rows.py, WIRE_COLUMNS).
    queue_depth: int = Field(default=0, sa_type=sa.BigInteger)
    oldest_unsent_age_s: int | None = Field(default=None, sa_type=sa.BigInteger)
    catalog_version: int | None = Field(default=None, sa_type=sa.BigInteger)
    app_version: str | None = Field(default=None, max_length=200)
    status: str = Field(default="ok", max_length=16)


class CatalogVersion(SQLModel, table=True):
    """The catalog snapshot version last published to a site; it only ever grows."""

    __tablename__ = "sync_catalog_version"

    site_id: int = Field(primary_key=True, foreign_key="site.id", ondelete="CASCADE")
    version: int = Field(ge=1)
    digest: str = Field(max_length=64)
    published_at: datetime | None = utc_field()
