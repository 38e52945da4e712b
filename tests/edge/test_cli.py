"""canteen-agent --validate-config: a good file passes, each bad key is named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.edge.conftest import ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_agent", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_valid_config(tmp_path: Path) -> None:
    conf = tmp_path / "agent.toml"
    conf.write_text(
        'site_id = "site1"\ndevice_id = "kiosk1"\nstore_path = "/var/lib/x/device.db"\n'
        '[broker]\nhost = "10.0.0.2"\nport = 1883\n'
    )
    r = run_cli("--config", str(conf), "--validate-config")
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout


def test_invalid_config_names_each_key(tmp_path: Path) -> None:
    conf = tmp_path / "agent.toml"
    conf.write_text(
        'site_id = "site1"\ndevice_id = "Kiosk 1"\nstore_path = "/tmp/d.db"\n'
        'timezone = "Mars/Olympus"\ncolour = "red"\n'
        "[broker]\nport = 99999\nreconnect_min_s = 5\nreconnect_max_s = 1\n"
    )
    r = run_cli("--config", str(conf), "--validate-config")
    assert r.returncode == 2
    for key in ("device_id", "timezone", "colour", "broker.port"):
        assert f"{key}:" in r.stderr, (key, r.stderr)


def test_unreadable_or_broken_toml(tmp_path: Path) -> None:
    r = run_cli("--config", str(tmp_path / "missing.toml"), "--validate-config")
    assert r.returncode == 2 and "cannot read" in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("site_id = ")
    r = run_cli("--config", str(bad), "--validate-config")
    assert r.returncode == 2 and "not valid TOML" in r.stderr
