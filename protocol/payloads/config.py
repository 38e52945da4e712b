"""`device.config`: the settings the hub pushes to one device (retained, versioned)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from protocol.fields import Flag, Positive, WireModel

ORDER_PREFIX_PATTERN = r"^[A-Z]{1,2}$"
"""A device's order-number prefix (``A`` makes A001, A002...): one or two capital letters."""


class DeviceConfig(WireModel):
    """Settings the hub pushes to one device; a higher version replaces a lower."""

    version: Positive
    heartbeat_interval_s: Annotated[int, Field(strict=True, ge=5, le=3600)] = 30
    order_prefix: Annotated[str, Field(pattern=ORDER_PREFIX_PATTERN)] | None = None
    mode: Literal["diner", "kds", "pickup"] = "diner"
    offline_sales: Flag = True
    idle_reset_s: Annotated[int, Field(strict=True, ge=10, le=3600)] = 90
