"""Write every demo device's files and start its processes in a ProcessGroup (wiring only)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from demo.processes import ProcessGroup
from demo.provision import Provisioned
from demo.site import (
    DemoDevice,
    agent_config,
    demo_devices,
    kiosk_config,
    kitchen_config,
    write,
)

KIVY_ENV = {"KIVY_NO_ARGS": "1"}
"""Kivy must not parse a window child's command line (``--config``) as its own options."""


@dataclass
class Started:
    """What runs, for the banner and the counter."""

    kiosks: list[DemoDevice] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    window: str | None = None


def _printer_hw(root: Path, name: str) -> dict[str, object]:
    """Hardware config: one ESC/POS printer on a simulator's pty (GB18030 text mode)."""
    return {
        "devices": {name: {"type": "escpos_serial", "port": str(root / f"{name}.pty"),
                           "paper_mm": 80, "text_mode": "gb18030"}},
        "receipt": {"main": name, "queue_path": str(root / "print-queue.db")},
    }


def _window_hw(root: Path) -> tuple[dict[str, object], dict[str, str]]:
    """Hardware and roles of the window kiosk: printer, RDM6300 card reader, scale."""
    hw = _printer_hw(root, "receipt")
    devices = hw["devices"]
    assert isinstance(devices, dict)
    devices["card"] = {"type": "card_rdm6300", "port": str(root / "card.pty")}
    devices["scale"] = {"type": "scale_continuous", "port": str(root / "scale.pty")}
    return hw, {"card_reader": "card", "scale": "scale"}


def start_devices(group: ProcessGroup, data_dir: Path, broker_port: int, prov: Provisioned,
                  *, rate: float, windows: bool) -> Started:
    """Configs into data_dir/devices, then agents, kitchen, printer, diners (and windows)."""
    out = Started()
    key_file = data_dir / "devices" / "site.key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(prov.identifier_key + "\n")
    os.chmod(key_file, 0o600)
    cards = data_dir / "devices" / "cards.json"
    cards.write_text(json.dumps(prov.cards))
    devices = demo_devices(data_dir)
    for dev in devices:
        write(dev.agent_toml, agent_config(dev, broker_port))
        group.start(f"agent-{dev.code}", ["-m", "edge_agent", "--config", str(dev.agent_toml)])
    kiosks = [d for d in devices if d.kind == "kiosk"]
    for i, dev in enumerate(kiosks):
        hw = _printer_hw(dev.root, "receipt") if i == 0 else None
        write(dev.app_toml, kiosk_config(dev, token_keys=prov.token_keys,
                                         site_key_file=key_file, hardware=hw))
        if hw is not None:
            group.start("printer-sim", ["-m", "demo.printer", "--path",
                                        str(dev.root / "receipt.pty")])
            out.lines.append(f"printer simulator on {dev.root / 'receipt.pty'} (for {dev.code})")
        group.start(f"diner-{dev.code}", ["-m", "demo.diner", "--config", str(dev.app_toml),
                                          "--rate", str(rate / len(kiosks)), "--cards",
                                          str(cards), "--seed", str(i + 1)])
        out.kiosks.append(dev)
        out.lines.append(f"kiosk {dev.code}: scripted diner + edge agent")
    for dev in devices:
        if dev.kind not in ("kds", "pickup"):
            continue
        write(dev.app_toml, kitchen_config(dev, broker_port))
        if dev.kind == "kds":
            group.start(f"kds-{dev.code}", ["-m", "demo.cook", "--config", str(dev.app_toml)])
            out.lines.append(f"kitchen display {dev.code}: headless, scripted cook bumps"
                             " + edge agent")
        elif windows:
            group.start(f"pickup-{dev.code}", ["-m", "kiosk.pickup", "--config",
                                               str(dev.app_toml)], KIVY_ENV)
            out.lines.append(f"pickup board {dev.code}: window + edge agent")
        else:
            group.start(f"pickup-{dev.code}", ["-m", "edge_agent.kitchen.headless", "--config",
                                               str(dev.app_toml)])
            out.lines.append(f"pickup board {dev.code}: headless + edge agent")
    if windows:
        out.window = start_window(group, kiosks[-1], prov, key_file)
    return out


def start_window(group: ProcessGroup, dev: DemoDevice, prov: Provisioned, key_file: Path) -> str:
    """A real kiosk window on the second kiosk's store, with its own simulators."""
    root = dev.root / "window"
    root.mkdir(parents=True, exist_ok=True)
    hw, roles = _window_hw(root)
    cfg = write(root / "kiosk.toml", kiosk_config(dev, token_keys=prov.token_keys,
                                                  site_key_file=key_file, hardware=hw,
                                                  roles=roles))
    group.start("window-printer-sim", ["-m", "demo.printer", "--path", str(root / "receipt.pty")])
    fifo = root / "taps"
    group.start("window-card-scale-sims", ["-m", "demo.handsims", "--card",
                                           str(root / "card.pty"), "--scale",
                                           str(root / "scale.pty"), "--fifo", str(fifo)])
    group.start("window-kiosk", ["-m", "kiosk.cli", "--config", str(cfg), "--windowed"],
                KIVY_ENV)
    return str(fifo)
