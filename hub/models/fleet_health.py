"""Fleet health, alerts, remote commands and staged rollouts (issue 16).

Heartbeats are kept as a rolling summary: one row per device with the latest figures
(``fleet_device_state``) and one row per device per 5-minute bucket with count, min, max
and last (``fleet_heartbeat_bucket``), never a row per heartbeat.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.db_types import UTCDateTime
from hub.models.base import created_at_field, utc_field


class DeviceState(SQLModel, table=True):
    """A device's presence (retained status / last will) and its latest heartbeat figures."""

    __tablename__ = "fleet_device_state"

    device_id: int = Field(primary_key=True, foreign_key="device.id", ondelete="CASCADE")
    # online / offline from the retained status topic; None until the first status.
    presence: str | None = Field(default=None, max_length=8)
    presence_since: datetime | None = utc_field()
    status_at: datetime | None = utc_field()  # sent_at of the status message applied
    heartbeat_at: datetime | None = utc_field()
    received_at: datetime | None = utc_field()  # hub clock when that heartbeat was read
    clock_skew_s: int | None = Field(default=None, sa_type=sa.BigInteger)
    app_version: str | None = Field(default=None, max_length=200)
    catalog_version: int | None = Field(default=None, sa_type=sa.BigInteger)
    config_version: int | None = Field(default=None, sa_type=sa.BigInteger)
    model_version: str | None = Field(default=None, max_length=200)
    queue_depth: int | None = Field(default=None, sa_type=sa.BigInteger)
    oldest_unsent_age_s: int | None = Field(default=None, sa_type=sa.BigInteger)
    dead_letters: int | None = Field(default=None, sa_type=sa.BigInteger)
    disk_free_mb: int | None = Field(default=None, sa_type=sa.BigInteger)
    disk_total_mb: int | None = Field(default=None, sa_type=sa.BigInteger)
    uptime_s: int | None = Field(default=None, sa_type=sa.BigInteger)
    printer: str | None = Field(default=None, max_length=16)
    scale_present: bool | None = None
    card_reader_present: bool | None = None
    cpu_temp_c: float | None = None
    in_use: bool | None = None
    pending_update: str | None = Field(default=None, max_length=32)


class HeartbeatBucket(SQLModel, table=True):
    """One device's heartbeats in one 5-minute bucket: count, min / max / last figures."""

    __tablename__ = "fleet_heartbeat_bucket"

    device_id: int = Field(primary_key=True, foreign_key="device.id", ondelete="CASCADE")
    bucket_start: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    beats: int = Field(default=0, sa_type=sa.BigInteger)
    last_at: datetime | None = utc_field()
    queue_min: int = Field(default=0, sa_type=sa.BigInteger)
    queue_max: int = Field(default=0, sa_type=sa.BigInteger)
    queue_last: int = Field(default=0, sa_type=sa.BigInteger)
    oldest_age_max: int | None = Field(default=None, sa_type=sa.BigInteger)
    disk_free_min: int | None = Field(default=None, sa_type=sa.BigInteger)
    cpu_temp_max: float | None = None
    skew_max_s: int | None = Field(default=None, sa_type=sa.BigInteger)  # largest |skew|


class FleetAlert(SQLModel, table=True):
    """An alert on a device; open while ``closed_at`` is None (one open per device and kind)."""

    __tablename__ = "fleet_alert"

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=32)
    detail: str = Field(default="", max_length=300)
    opened_at: datetime = created_at_field()
    closed_at: datetime | None = utc_field(index=True)


class FleetCommand(SQLModel, table=True):
    """A remote command and what became of it on the device."""

    __tablename__ = "fleet_command"

    id: int | None = Field(default=None, primary_key=True)
    command_id: str = Field(max_length=36, unique=True)
    device_id: int = Field(foreign_key="device.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=32)
    args: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    # queued -> sent -> ok / failed / refused / expired
    status: str = Field(default="queued", max_length=16, index=True)
    requested_by: str = Field(default="", max_length=120)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = utc_field()
    finished_at: datetime | None = utc_field()
    detail: str | None = Field(default=None, max_length=200)
    output: str | None = Field(default=None, sa_type=sa.Text)


class Rollout(SQLModel, table=True):
    """A staged rollout of one kind (config, catalog, model...): first stage, watch, everyone."""

    __tablename__ = "fleet_rollout"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    name: str = Field(default="", max_length=120)
    # What to roll out, as the kind's own registry entry reads it (validated on create).
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    # running / paused / completed / rolled_back
    status: str = Field(default="running", max_length=16, index=True)
    stage: int = Field(default=0)  # 0: the first stage, 1: everyone
    first_site_id: int | None = Field(default=None, foreign_key="site.id", ondelete="SET NULL")
    first_percent: int | None = None
    step_timeout_s: int = Field(default=600)
    max_failure_pct: int = Field(default=20)
    reason: str | None = Field(default=None, max_length=300)
    created_by: str = Field(default="", max_length=120)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class RolloutTarget(SQLModel, table=True):
    """One device of a rollout: its stage, the version it must report, and how it went."""

    __tablename__ = "fleet_rollout_target"

    rollout_id: int = Field(primary_key=True, foreign_key="fleet_rollout.id", ondelete="CASCADE")
    device_id: int = Field(primary_key=True, foreign_key="device.id", ondelete="CASCADE")
    stage: int = Field(default=0)
    # pending -> applying -> ok / failed; rolled_back after a rollback
    status: str = Field(default="pending", max_length=16)
    target_version: str | None = Field(default=None, max_length=200)
    previous: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    started_at: datetime | None = utc_field()
    finished_at: datetime | None = utc_field()
    detail: str | None = Field(default=None, max_length=300)
