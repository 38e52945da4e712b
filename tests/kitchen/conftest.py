"""Kitchen test helpers: device configs, agent processes and screen subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.broker import PrivateBroker

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
DRIVER = Path(__file__).with_name("screen_driver.py")


def kitchen_toml(path: Path, broker: PrivateBroker, device: str, mode: str = "kds",
                 stations: tuple[str, ...] = (), language: str = "zh") -> Path:
    """Write a KitchenConfig TOML."""
    st = ", ".join(f'"{s}"' for s in stations)
    path.write_text(
        f'mode = "{mode}"\nsite_id = "site-1"\ndevice_id = "{device}"\n'
        f'store_path = "{path.parent / (device + ".db")}"\n'
        f'stations = [{st}]\nlanguage = "{language}"\nannounce = "off"\n'
        f"warn_after_s = 120\nlate_after_s = 300\n[broker]\nport = {broker.port}\n")
    return path


def agent_toml(path: Path, broker: PrivateBroker, device: str, window: int = 100,
                ack_timeout_s: float = 2.0) -> Path:
    """Write an edge agent TOML for ``device`` (same store file as its kitchen config).

    With no hub on the site nothing is ever acknowledged, so a burst needs a window as
    large as the burst (the agent keeps at most ``window`` unacknowledged events out);
    a long ``ack_timeout_s`` stops its re-sends from hiding a message the KDS lost.
    """
    path.write_text(
        f'site_id = "site-1"\ndevice_id = "{device}"\n'
        f'store_path = "{path.parent / (device + ".db")}"\n'
        f"[broker]\nport = {broker.port}\nkeepalive_s = 5\nreconnect_max_s = 1.0\n"
        f"[outbox]\nack_timeout_s = {ack_timeout_s}\n"
        f"max_retry_interval_s = {max(4.0, ack_timeout_s)}\nwindow = {window}\n")
    return path


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Started agent processes by device id; killed at the end."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    yield procs
    for p in procs.values():
        p.kill()
        p.wait(10)


def start_agent(procs: dict[str, subprocess.Popen[bytes]], conf: Path, device: str) -> None:
    """Run ``python -m edge_agent --config conf`` as a real process."""
    procs[device] = subprocess.Popen(
        [PY, "-m", "edge_agent", "--config", str(conf)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_screen(conf: Path, out: Path, *args: str, timeout: float = 60) -> dict[str, Any]:
    """Run the screen driver under Xvfb in a subprocess; its JSON result."""
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(out.parent / "kivy"),
           "KIVY_LOG_MODE": "PYTHON"}
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", PY, str(DRIVER), str(conf),
           str(out), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    if not out.exists():
        raise AssertionError(proc.stderr.decode(errors="replace")[-3000:])
    return dict(json.loads(out.read_text()))
