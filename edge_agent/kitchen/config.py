"""Configuration of a kitchen display or pickup board: pydantic, extra="forbid", TOML."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge_agent.config import ID_PATTERN, BrokerConfig, TimeZoneName, format_validation_error
from edge_agent.errors import ConfigError

log = logging.getLogger(__name__)

# Top-level keys of kitchen configs written before [broker] existed -> their key in [broker].
LEGACY_BROKER_KEYS = {
    "broker_host": "host",
    "broker_port": "port",
    "keepalive_s": "keepalive_s",
    "session_expiry_s": "session_expiry_s",
}


class KitchenBrokerConfig(BrokerConfig):
    """The agent's BrokerConfig (host, login, TLS) with the kitchen's shorter timings."""

    keepalive_s: int = Field(2, ge=1, le=60, title="Keepalive",
                             description="Short, so a lost broker shows within seconds.")
    session_expiry_s: int = Field(24 * 3600, ge=60, title="Session expiry",
                                  description="How long the broker queues tickets for us.")
    reconnect_min_s: float = Field(0.2, gt=0, title="First reconnect delay")
    reconnect_max_s: float = Field(2.0, gt=0, title="Longest reconnect delay")


def move_legacy_broker_keys(raw: Any) -> Any:
    """Move old top-level broker_host/broker_port/keepalive_s/session_expiry_s into [broker]."""
    if not isinstance(raw, dict):
        return raw
    old = [k for k in LEGACY_BROKER_KEYS if k in raw]
    if not old:
        return raw
    broker = raw.get("broker", {})
    if not isinstance(broker, dict):
        return raw  # left to validation, which names broker
    out = {k: v for k, v in raw.items() if k not in LEGACY_BROKER_KEYS}
    moved = dict(broker)
    for key in old:
        new = LEGACY_BROKER_KEYS[key]
        if new in broker:
            raise ValueError(f"{key} is the old spelling of broker.{new}; set only broker.{new}")
        moved[new] = raw[key]
    out["broker"] = moved
    log.warning("kitchen config: %s moved to [broker] (%s)", ", ".join(old),
                ", ".join(f"{k} -> broker.{LEGACY_BROKER_KEYS[k]}" for k in old))
    return out


class KitchenConfig(BaseModel):
    """One kitchen display (``mode = "kds"``) or pickup board (``mode = "pickup"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["kds", "pickup"] = Field("kds", title="Mode")
    site_id: str = Field(pattern=ID_PATTERN, title="Site id")
    device_id: str = Field(pattern=ID_PATTERN, title="Device id",
                           description="Same id as this device's edge agent (its outbox).")
    store_path: Path = Field(title="Store", description="The device store shared with its agent.")
    broker: KitchenBrokerConfig = Field(
        default_factory=lambda: KitchenBrokerConfig(), title="Site broker",
        description="Where the site broker is and how this device logs in (its own user).")
    stations: tuple[str, ...] = Field((), title="Stations",
                                      description="Stations shown (KDS); empty means all.")
    warn_after_s: int = Field(300, ge=1, title="Amber after", description="Ticket age, seconds.")
    late_after_s: int = Field(600, ge=1, title="Red after", description="Ticket age, seconds.")
    ready_shown_s: int = Field(600, ge=5, title="Ready shown",
                               description="Pickup: a ready number leaves the board after this.")
    newest_highlighted: int = Field(3, ge=0, le=20, title="Highlighted ready numbers")
    language: Literal["zh", "en"] = Field("zh", title="Screen language")
    timezone: TimeZoneName = Field("Asia/Shanghai", title="Site timezone",
                                   description="The kitchen's day (portions plan) is "
                                   "the site's local day.")
    announce: Literal["off", "chime", "speech"] = Field("chime", title="Announce ready numbers")

    @model_validator(mode="before")
    @classmethod
    def _legacy_keys(cls, raw: Any) -> Any:
        return move_legacy_broker_keys(raw)

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
