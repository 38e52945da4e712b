"""Device health: ``device.heartbeat`` (periodic) and ``device.status`` (retained, last will)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from protocol.fields import Code, Count, Flag, ShortText, UtcDatetime, WireModel

PrinterState = Literal["ok", "paper_out", "paper_near_end", "cover_open", "offline", "error",
                       "absent"]
"""What a heartbeat says of the receipt printer (schema 1.1); ``error`` covers the rest."""
PRINTER_STATES: tuple[str, ...] = get_args(PrinterState)

CpuTemperature = Annotated[float, Field(ge=-40.0, le=150.0, allow_inf_nan=False)]


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
    # Schema 1.1 (additive, all optional: a 1.0 heartbeat still validates).
    printer: PrinterState | None = None
    scale_present: Flag | None = None
    card_reader_present: Flag | None = None
    cpu_temp_c: CpuTemperature | None = None
    disk_total_mb: Count | None = None
    dead_letters: Count | None = None
    in_use: Flag | None = None  # a diner is mid-order: updates wait for idle
    pending_update: Code | None = None  # the downlink kind held back until idle


class DeviceStatus(WireModel):
    """Retained presence of a device; the ``offline`` one is registered as its last will."""

    state: Literal["online", "offline"]
    app_version: ShortText | None = None
