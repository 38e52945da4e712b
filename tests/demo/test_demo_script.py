"""`scripts/demo` starts a real site, answers its health endpoint, stops cleanly on SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from demo.broker import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,pgid=,args="], capture_output=True,
                         text=True, check=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if str(pid) in line.split()[1:3]]


def test_demo_starts_answers_health_and_stops_on_sigint(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "demo"
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "demo"), "--data-dir", str(data), "--port", str(port),
         "--no-devices"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "Ctrl-C" in line:
                break
        banner = "".join(seen)
        assert f"http://127.0.0.1:{port}/admin" in banner, banner
        assert "admin / canteen-demo" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            health = json.load(resp)
        assert resp.status == 200 and health["status"] == "ok"
        # The seeded canteen is there: log in with the printed demo login, list dishes.
        body = b"username=admin&password=canteen-demo"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/token", data=body,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            token = json.load(resp)["access_token"]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/dishes?limit=1",
                                     headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.load(resp)["total"] >= 60
        children = _children_of(proc.pid)
        assert children, "the demo started no child processes"
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, rest
        assert "nothing left running" in rest
        time.sleep(0.5)
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
                f"/proc/{pid}/status").read_text().lower(), f"child {pid} still running"
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
