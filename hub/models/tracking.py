"""Order tracking: kitchen state events as received, and each order's folded state per station."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class OrderTrackEvent(SQLModel, table=True):
    """One order.state (or the placed moment) as received; keyed on the device-made message id."""

    __tablename__ = "order_track_event"

    message_id: str = Field(primary_key=True, max_length=36)
    order_id: str = Field(max_length=36, index=True)
    site_code: str = Field(max_length=64)
    device_code: str = Field(max_length=64)
    order_no: str = Field(max_length=12)
    state: str = Field(max_length=16)
    station: str | None = Field(default=None, max_length=32)
    stations: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    at: datetime = utc_field(nullable=False)
    # A cook's recall (only it may reopen a bump), not a display's first-seen start.
    recall: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    received_at: datetime = created_at_field()


class OrderTrack(SQLModel, table=True):
    """An order's current state, refolded from all its events whenever one arrives."""

    __tablename__ = "order_track"
    __table_args__ = (sa.Index("ix_order_track_site_state", "site_code", "state"),)

    order_id: str = Field(primary_key=True, max_length=36)
    site_code: str = Field(max_length=64)
    order_no: str = Field(max_length=12)
    state: str = Field(max_length=16)
    placed_at: datetime | None = utc_field()
    ready_at: datetime | None = utc_field()
    collected_at: datetime | None = utc_field()
    cancelled_at: datetime | None = utc_field()
    updated_at: datetime = created_at_field()


class OrderTrackStation(SQLModel, table=True):
    """One station's ticket of an order: when it started and when it was (last) bumped."""

    __tablename__ = "order_track_station"

    order_id: str = Field(primary_key=True, max_length=36)
    station: str = Field(primary_key=True, max_length=32)
    site_code: str = Field(max_length=64, index=True)
    state: str = Field(max_length=16)
    started_at: datetime | None = utc_field()
    ready_at: datetime | None = utc_field(index=True)
