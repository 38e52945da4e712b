"""Configuration of a kitchen display or pickup board: pydantic, extra="forbid", TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge_agent.config import ID_PATTERN, format_validation_error
from edge_agent.errors import ConfigError


class KitchenConfig(BaseModel):
    """One kitchen display (``mode = "kds"``) or pickup board (``mode = "pickup"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["kds", "pickup"] = Field("kds", title="Mode")
    site_id: str = Field(pattern=ID_PATTERN, title="Site id")
    device_id: str = Field(pattern=ID_PATTERN, title="Device id",
                           description="Same id as this device's edge agent (its outbox).")
    store_path: Path = Field(title="Store", description="The device store shared with its agent.")
    broker_host: str = Field("127.0.0.1", title="Site broker host")
    broker_port: int = Field(1883, ge=1, le=65535, title="Site broker port")
    keepalive_s: int = Field(2, ge=1, le=60, title="Keepalive",
                             description="Short, so a lost broker shows within seconds.")
    session_expiry_s: int = Field(24 * 3600, ge=60, title="Session expiry",
                                  description="How long the broker queues tickets for us.")
    stations: tuple[str, ...] = Field((), title="Stations",
                                      description="Stations shown (KDS); empty means all.")
    warn_after_s: int = Field(300, ge=1, title="Amber after", description="Ticket age, seconds.")
    late_after_s: int = Field(600, ge=1, title="Red after", description="Ticket age, seconds.")
    ready_shown_s: int = Field(600, ge=5, title="Ready shown",
                               description="Pickup: a ready number leaves the board after this.")
    newest_highlighted: int = Field(3, ge=0, le=20, title="Highlighted ready numbers")
    language: Literal["zh", "en"] = Field("zh", title="Screen language")
    announce: Literal["off", "chime", "speech"] = Field("chime", title="Announce ready numbers")

    @model_validator(mode="after")
    def _ordered(self) -> KitchenConfig:
        if self.late_after_s <= self.warn_after_s:
            raise ValueError("late_after_s must be greater than warn_after_s")
        return self


def load_kitchen_config(path: Path) -> KitchenConfig:
    """Read and validate a TOML file; ConfigError lists each problem with its key path."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    try:
        return KitchenConfig.model_validate(raw)
    except ValidationError as err:
        lines = "\n  ".join(format_validation_error(err))
        raise ConfigError(f"{path}: invalid configuration:\n  {lines}") from err
