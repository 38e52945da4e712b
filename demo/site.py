"""The demo site's devices and the config files each one reads (agent, kiosk, kitchen TOML)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hub.seed.sites import SITES, TIMEZONE, SiteSeed


@dataclass(frozen=True)
class DemoDevice:
    """One simulated device: a seeded code, a kind, and its own directory of files."""

    code: str
    kind: str  # kiosk | kds | pickup
    site: str
    root: Path

    @property
    def store(self) -> Path:
        """The device store shared by the device's app and its edge agent."""
        return self.root / "store.db"

    @property
    def agent_toml(self) -> Path:
        """The edge agent's config file."""
        return self.root / "agent.toml"

    @property
    def app_toml(self) -> Path:
        """The kiosk or kitchen config file."""
        return self.root / f"{self.kind}.toml"


def demo_site() -> SiteSeed:
    """The seeded site the demo's devices belong to (the first one)."""
    return SITES[0]


def demo_devices(data_dir: Path) -> list[DemoDevice]:
    """Every seeded device of the demo site, each under data_dir/devices/<code>."""
    site = demo_site()
    return [DemoDevice(d.code, d.kind, site.code, data_dir / "devices" / d.code)
            for d in site.devices]


def _toml_value(value: object) -> str:
    """A TOML scalar, array or inline table (json strings are valid TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")


def to_toml(data: dict[str, object]) -> str:
    """Plain values first, then one [table] per nested dict (deeper levels as inline tables)."""
    out = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            out.append(f"\n[{key}]")
            out += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(out) + "\n"


def agent_config(dev: DemoDevice, broker_port: int) -> dict[str, object]:
    """The edge agent's config for one device."""
    return {
        "site_id": dev.site, "device_id": dev.code, "store_path": dev.store,
        "timezone": TIMEZONE, "heartbeat_interval_s": 10.0,
        "order_prefix": "B" if dev.code.endswith("-02") else "A",
        "broker": {"host": "127.0.0.1", "port": broker_port},
        "outbox": {"ack_timeout_s": 10.0, "max_retry_interval_s": 30.0},
    }


def kitchen_config(dev: DemoDevice, broker_port: int) -> dict[str, object]:
    """The kitchen display's or pickup board's config."""
    return {
        "mode": dev.kind, "site_id": dev.site, "device_id": dev.code, "store_path": dev.store,
        "warn_after_s": 60, "late_after_s": 180, "ready_shown_s": 120, "announce": "off",
        "broker": {"host": "127.0.0.1", "port": broker_port},
    }


def kiosk_config(dev: DemoDevice, *, token_keys: dict[str, str], site_key_file: Path,
                 hardware: dict[str, object] | None = None,
                 roles: dict[str, str] | None = None) -> dict[str, object]:
    """The kiosk app's config: member keys from the hub, optional hardware simulators."""
    site = demo_site()
    cfg: dict[str, object] = {
        "site_id": dev.site, "device_id": dev.code, "store_path": dev.store,
        "timezone": TIMEZONE, "canteen_name_zh": site.name_zh[:30],
        "canteen_name_en": "Xinghe Staff Canteen", "remainder_to_counter": True,
        "idle_seconds": 120.0, "done_seconds": 8.0,
        "station_minutes": {"wok": 4, "noodle": 6},
        "member_ids": {"token_keys": token_keys, "site_key_file": site_key_file},
        "connectivity": {"source": "agent", "stale_after_s": 30.0},
    }
    if roles:
        cfg["roles"] = roles
    if hardware:
        cfg["hardware"] = hardware
    return cfg


def write(path: Path, data: dict[str, object]) -> Path:
    """Write a TOML file (creating its directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(data), encoding="utf-8")
    return path
