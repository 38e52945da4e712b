"""Remote commands (schema 1.1): ``device.command`` down, ``device.command_result`` up.

Request/response with a command id made by the hub and an expiry: a device runs a command
only if it is addressed to it (``device`` equals its own id, not merely the topic) and has
not expired by its own clock; otherwise it answers ``refused`` or ``expired``. The result
travels through the device's outbox, so it reaches the hub even after a reconnect.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from protocol.fields import Code, Identifier, ShortText, UtcDatetime, Uuid7, WireModel

CommandName = Literal[
    "restart_app", "reprint_last_receipt", "print_test_page", "refresh_catalog",
    "open_diagnostics", "upload_logs",
]
"""Every command a device knows; one definition for the hub's buttons and the device."""
COMMAND_NAMES: tuple[str, ...] = get_args(CommandName)

CommandStatus = Literal["ok", "failed", "refused", "expired"]
"""How a command ended on the device (``refused``: not for this device or unknown)."""

MAX_LOG_BYTES = 32 * 1024
"""Upper bound of the log text an ``upload_logs`` result carries (UTF-8 bytes)."""

LogText = Annotated[str, Field(max_length=MAX_LOG_BYTES)]


class DeviceCommand(WireModel):
    """One command for one device, valid until ``expires_at`` (the hub's clock, UTC)."""

    command_id: Uuid7
    device: Identifier
    name: CommandName
    args: dict[Code, ShortText] = Field(default_factory=dict, max_length=8)
    expires_at: UtcDatetime


class CommandResult(WireModel):
    """What became of a command on the device; ``output`` holds uploaded log text."""

    command_id: Uuid7
    name: Code
    status: CommandStatus
    detail: ShortText | None = None
    output: LogText | None = None
    finished_at: UtcDatetime
