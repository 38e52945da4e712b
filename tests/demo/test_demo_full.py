"""The whole demo site for ~20 s: kiosks' orders reach the hub exactly, a ticket is bumped.

Then SIGINT leaves nothing behind: agents, ingest worker, diners, cook, simulators, broker.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from demo.broker import free_port
from demo.counter import device_totals, hub_totals
from demo.site import demo_devices
from tests.support.demo_site import alive, child_pids

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _token(port: int) -> str:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token",
        data=b"username=admin&password=canteen-demo",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return str(json.load(resp)["access_token"])


def _timeline(port: int, token: str, order_id: str) -> object:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/tracking/orders/{order_id}"
                                 "/timeline", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


def test_full_demo_orders_reach_the_hub_and_everything_stops(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "demo"), "--data-dir", str(data), "--port", str(port),
         "--rate", "1.0", "--counter-every", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "Ctrl-C" in line:
                break
        banner = "".join(seen)
        assert "xinghe-kiosk-01" in banner and "xinghe-kiosk-02" in banner, banner
        assert "windows" in banner.lower() and "xvfb-run" in banner
        counters = []
        until = time.monotonic() + 22
        while time.monotonic() < until:
            line = proc.stdout.readline()
            seen.append(line)
            if "hub ingested" in line:
                counters.append(line)
        assert counters, "".join(seen)
        # At least one ticket was bumped: the hub's timeline of some order shows it ready.
        hub = sqlite3.connect(f"file:{data / 'hub' / 'hub.sqlite3'}?mode=ro", uri=True)
        ready = [r[0] for r in hub.execute(
            "SELECT DISTINCT order_id FROM order_track_event WHERE state = 'ready' LIMIT 5")]
        hub.close()
        assert ready, "no ticket reached the hub as bumped"
        # The recommender trained at start reached both kiosks: each reports the model
        # version it serves in its heartbeat, and the diners' menus were ranked by it.
        hub = sqlite3.connect(f"file:{data / 'hub' / 'hub.sqlite3'}?mode=ro", uri=True)
        trained = hub.execute("SELECT max(version) FROM recommend_model").fetchone()[0]
        serving = dict(hub.execute(
            "SELECT d.code, s.model_version FROM fleet_device_state s"
            " JOIN device d ON d.id = s.device_id WHERE d.kind = 'kiosk'").fetchall())
        hub.close()
        assert trained and serving and set(serving.values()) == {str(trained)}, serving
        for kiosk in ("xinghe-kiosk-01", "xinghe-kiosk-02"):
            diner_log = (data / "logs" / f"diner-{kiosk}.log").read_text(errors="replace")
            assert f"recommended row ranked by model v{trained}" in diner_log, diner_log
        timeline = _timeline(port, _token(port), ready[0])
        assert "ready" in json.dumps(timeline), timeline
        children = child_pids(proc.pid)
        names = " ".join(children.values())
        for part in ("hub.ingest", "edge_agent", "demo.diner", "demo.cook", "demo.printer",
                     "mosquitto"):
            assert part in names, names
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, rest
        assert "nothing left running" in rest
        time.sleep(0.5)
        left = {pid: args for pid, args in children.items() if alive(pid)}
        assert not left, f"still running: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    kiosks = [d for d in demo_devices(data) if d.kind == "kiosk"]
    at_devices = device_totals(kiosks)
    at_hub = hub_totals(data / "hub" / "hub.sqlite3")
    busy = [code for code, (n, _) in at_devices.items() if n > 0]
    assert len(busy) >= 2, at_devices
    for code in busy:
        assert at_hub.get(code) == at_devices[code], (code, at_hub, at_devices)

