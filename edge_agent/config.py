"""The agent's configuration: a pydantic tree with extra="forbid", loaded from TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from edge_agent.errors import ConfigError

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown timezone {value!r}") from err
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name this machine knows (Asia/Shanghai); the site's business day."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrokerConfig(_Strict):
    """Where the site broker is and how to log in."""

    host: str = Field("127.0.0.1", title="Broker host", description="Site broker address.")
    port: int = Field(1883, ge=1, le=65535, title="Broker port")
    keepalive_s: int = Field(30, ge=5, le=600, title="Keepalive", description="MQTT keepalive.")
    username: str | None = Field(None, title="User", description="Per-device broker user.")
    password_file: Path | None = Field(
        None,
        title="Password file",
        description="File holding the broker password (read at start, never in this file).",
    )
    tls_ca_file: Path | None = Field(None, title="CA file", description="Enables TLS when set.")
    session_expiry_s: int = Field(
        7 * 24 * 3600,
        ge=60,
        title="Session expiry",
        description="How long the broker keeps our session (and queued downlinks/acks) offline.",
    )
    reconnect_min_s: float = Field(0.5, gt=0, title="First reconnect delay")
    reconnect_max_s: float = Field(30.0, gt=0, title="Longest reconnect delay")

    @model_validator(mode="after")
    def _delays_ordered(self) -> BrokerConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        if self.password_file is not None and self.username is None:
            raise ValueError("password_file needs username")
        return self

    def password(self) -> str | None:
        """Read the password from its file (only when connecting)."""
        if self.password_file is None:
            return None
        try:
            return self.password_file.read_text().strip()
        except OSError as err:
            raise ConfigError(f"broker.password_file: cannot read: {err}") from err


class OutboxConfig(_Strict):
    """Flow control and re-send policy of the outbox."""

    window: int = Field(100, ge=1, le=10_000, title="In-flight window",
                        description="Most events published and not yet acknowledged by the hub.")
    ack_timeout_s: float = Field(30.0, gt=0, title="Ack timeout",
                                 description="Re-send an event not acknowledged after this long.")
    max_retry_interval_s: float = Field(300.0, gt=0, title="Longest re-send interval")

    @model_validator(mode="after")
    def _retry_ordered(self) -> OutboxConfig:
        if self.max_retry_interval_s < self.ack_timeout_s:
            raise ValueError("max_retry_interval_s must be >= ack_timeout_s")
        return self


class AgentConfig(_Strict):
    """Everything the edge agent of one device needs."""

    site_id: str = Field(pattern=ID_PATTERN, title="Site id")
    device_id: str = Field(pattern=ID_PATTERN, title="Device id",
                           description="Also the MQTT client id: fixed, so the session persists.")
    store_path: Path = Field(title="Store", description="SQLite file shared with the kiosk app.")
    timezone: TimeZoneName = Field("Asia/Shanghai", title="Site timezone",
                                   description="Where the business day (and order numbers) "
                                   "resets.")
    order_prefix: str = Field("A", pattern=r"^[A-Z]{1,2}$", title="Order number prefix")
    heartbeat_interval_s: float = Field(30.0, ge=0.2, title="Heartbeat interval")
    model_version: str | None = Field(None, title="Recommender model version on this device")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    broker: BrokerConfig = Field(default_factory=lambda: BrokerConfig())
    outbox: OutboxConfig = Field(default_factory=lambda: OutboxConfig())


def format_validation_error(err: ValidationError) -> list[str]:
    """One line per error, with the key path (broker.port: ...)."""
    return [
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors()
    ]


def load_config(path: Path) -> AgentConfig:
    """Read and validate a TOML config file; ConfigError lists every problem."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    try:
        return AgentConfig.model_validate(raw)
    except ValidationError as err:
        lines = "\n  ".join(format_validation_error(err))
        raise ConfigError(f"{path}: invalid configuration:\n  {lines}") from err
