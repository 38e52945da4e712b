"""The kiosk's configuration file: a pydantic tree with extra="forbid", loaded from TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hardware.config import HardwareConfig

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
Language = Literal["zh_Hans", "en"]


class ConfigError(Exception):
    """The kiosk config file is missing, unreadable or invalid; ``problems`` has key paths."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceRoles(_Strict):
    """Which configured hardware device plays which part on this kiosk (names in devices)."""

    card_reader: str | None = Field(None, title="Card reader", description="A card_* device.")
    scanner: str | None = Field(None, title="QR scanner", description="A scanner_line device.")
    camera: str | None = Field(None, title="Camera", description="A camera_* device for QR codes.")
    scale: str | None = Field(None, title="Scale", description="A scale_continuous device.")


class MemberIdConfig(_Strict):
    """How members are recognised offline: token public keys and the identifier hash key."""

    token_keys: dict[str, str] = Field(
        default_factory=dict,
        title="Member token public keys",
        description="Key id -> Ed25519 public key (base64url, protocol.tokens) that verifies "
        "signed member QR codes.",
    )
    site_key_file: Path | None = Field(
        None,
        title="Identifier key file",
        description="File with the site's identifier key (HMAC of card numbers and member ids, "
        "protocol.tokens.identifier_hash); read at start, never written in this file.",
    )
    def site_key(self) -> bytes | None:
        """Read the identifier key (only when the kiosk starts)."""
        if self.site_key_file is None:
            return None
        try:
            return self.site_key_file.read_bytes().strip()
        except OSError as err:
            raise ConfigError(f"member_ids.site_key_file: cannot read: {err}") from err


class ConnectivityConfig(_Strict):
    """Where the kiosk learns whether the agent reaches the hub (offline banner, offline cap)."""

    source: Literal["agent", "outbox", "status_file", "always_online", "always_offline"] = Field(
        "agent",
        title="Source",
        description="agent: the broker link the edge agent records in the device store "
        "(offline when down or not refreshed for stale_after_s; the outbox age when no agent "
        "has written yet); outbox: offline when an event waits longer than stale_after_s; "
        "status_file: a JSON file {state, at}.",
    )
    status_file: Path | None = Field(None, title="Status file")
    stale_after_s: float = Field(60.0, gt=0, le=3600, title="Stale after (s)")

    @model_validator(mode="after")
    def _file_when_needed(self) -> ConnectivityConfig:
        if self.source == "status_file" and self.status_file is None:
            raise ValueError("source status_file needs status_file")
        return self


class KioskConfig(_Strict):
    """Everything one kiosk needs; the catalog and members come from the device store."""

    site_id: str = Field(pattern=ID_PATTERN, title="Site id")
    device_id: str = Field(pattern=ID_PATTERN, title="Device id")
    store_path: Path = Field(title="Device store", description="SQLite file shared with the agent.")
    timezone: str = Field("Asia/Shanghai", title="Site timezone")
    canteen_name_zh: str = Field("食堂", min_length=1, max_length=30)
    canteen_name_en: str = Field("Canteen", min_length=1, max_length=30)
    mode: Literal["diner", "kds", "pickup", "desk"] = "diner"  # desk: face enrolment
    languages: tuple[Language, ...] = Field(("zh_Hans", "en"), min_length=1)
    default_language: Language = "zh_Hans"
    large_text: bool = Field(False, title="Large text by default")
    idle_seconds: float = Field(90.0, ge=10, le=3600, title="Idle reset",
                                description="Any screen returns to attract after this long.")
    done_seconds: float = Field(20.0, ge=3, le=600, title="Done screen time")
    promotions_zh: tuple[str, ...] = ()
    promotions_en: tuple[str, ...] = ()
    remainder_to_counter: bool = Field(
        False, description="Members may pay what their wallet does not cover at the counter."
    )
    station_minutes: dict[str, float] = Field(
        default_factory=dict, description="Average minutes per order at each kitchen station."
    )
    default_station_minutes: float = Field(3.0, gt=0, le=120)
    recommendations: int = Field(6, ge=0, le=20)
    member_ids: MemberIdConfig = Field(default_factory=lambda: MemberIdConfig())
    connectivity: ConnectivityConfig = Field(default_factory=lambda: ConnectivityConfig())
    roles: DeviceRoles = Field(default_factory=lambda: DeviceRoles())
    hardware: HardwareConfig = Field(default_factory=lambda: HardwareConfig())

    @model_validator(mode="before")
    @classmethod
    def _no_coupon_table(cls, data: object) -> object:
        if isinstance(data, dict) and "coupons" in data:
            # Coupon terms travel in the catalog now; a stale copy here would disagree.
            raise ValueError(
                "coupons: the coupon table is gone from the kiosk config; coupon terms come "
                "from the hub's catalog (offers.coupon_templates): delete the [coupons] tables")
        return data

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown timezone {value!r}") from err
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> KioskConfig:
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        if self.mode == "desk" and self.roles.camera is None:
            raise ValueError("mode 'desk' enrols faces at the member desk: it needs roles.camera"
                             " (a webcam in hardware.devices)")
        wanted = {
            "card_reader": ("card_line", "card_rdm6300"),
            "scanner": ("scanner_line",),
            "camera": ("camera_opencv", "camera_replay"),
            "scale": ("scale_continuous",),
        }
        for role, types in wanted.items():
            name = getattr(self.roles, role)
            if name is None:
                continue
            device = self.hardware.devices.get(name)
            if device is None:
                raise ValueError(f"roles.{role}: {name!r} is not in hardware.devices")
            if device.type not in types:
                raise ValueError(f"roles.{role}: {name!r} is a {device.type}, not {types}")
        return self


def format_validation_error(err: ValidationError) -> list[str]:
    """One line per error with its key path (``hardware.devices.card.port: Field required``)."""
    return [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors()]


def parse_config(raw: dict[str, object]) -> KioskConfig:
    """Validate already-parsed data; ConfigError lists every problem with its key path."""
    try:
        return KioskConfig.model_validate(raw)
    except ValidationError as err:
        problems = format_validation_error(err)
        raise ConfigError("invalid kiosk configuration", problems) from err


def load_config(path: Path) -> KioskConfig:
    """Read and validate a TOML config file."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    return parse_config(raw)
