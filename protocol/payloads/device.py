"""Device health: ``device.heartbeat`` (periodic) and ``device.status`` (retained, last will)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from protocol.fields import Code, Count, ShortText, UtcDatetime, WireModel


class DeviceHeartbeat(WireModel):
    """Periodic health report: backlog, versions in use, disk, hardware, uptime."""

    queue_depth: Count
    oldest_unsent_age_s: Count | None = None
    last_sync_at: UtcDatetime | None = None
    catalog_version: Count | None = None
    model_version: ShortText | None = None
    config_version: Count | None = None
    disk_free_mb: Count
    hardware: dict[Code, ShortText] = Field(default_factory=dict, max_length=32)
    uptime_s: Count
    app_version: ShortText


class DeviceStatus(WireModel):
    """Retained presence of a device; the ``offline`` one is registered as its last will."""

    state: Literal["online", "offline"]
    app_version: ShortText | None = None
