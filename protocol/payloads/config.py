"""`device.config`: the settings the hub pushes to one device (retained, versioned)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from protocol.fields import Flag, Positive, WireModel

Language = Literal["zh_Hans", "en"]

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
    # Schema 1.1 (fleet, issue 16), all optional so a 1.0 config still validates. The hub
    # validates what staff edit with this same model before it saves or rolls anything out.
    languages: Annotated[list[Language], Field(min_length=1, max_length=2)] | None = None
    default_language: Language | None = None
    layout: Literal["grid", "list"] | None = None
    large_text: Flag | None = None
    printer_enabled: Flag | None = None
    scale_enabled: Flag | None = None
    card_reader_enabled: Flag | None = None

    @model_validator(mode="after")
    def _default_language_offered(self) -> Self:
        if (self.languages is not None and self.default_language is not None
                and self.default_language not in self.languages):
            raise ValueError("default_language must be one of languages")
        if self.languages is not None and len(set(self.languages)) != len(self.languages):
            raise ValueError("languages must not repeat")
        return self


OPTION_FIELDS = ("languages", "default_language", "layout", "large_text", "printer_enabled",
                 "scale_enabled", "card_reader_enabled")
"""The schema-1.1 settings (kept by the hub beside the 1.0 ones)."""
