"""The systemd/ units pass `systemd-analyze verify` and keep their hardening."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "systemd"
VENV_BIN = "/opt/canteen-edge/.venv/bin/"
SERVICES = sorted(p for p in UNITS.glob("*.service"))
PYTHON_SERVICES = [p for p in SERVICES if VENV_BIN in p.read_text()]


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(path.read_text())
    return unit


def staged_units(tmp_path: Path) -> Path:
    """Copies of the units whose programs point at this machine's venv (or at stubs for what
    a test machine lacks, such as cage), so verify checks everything else."""
    out = tmp_path / "units"
    out.mkdir()
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    venv_bin = str(Path(sys.executable).parent) + "/"
    for path in UNITS.iterdir():
        if path.suffix not in (".service", ".timer", ".target"):
            continue
        text = path.read_text().replace(VENV_BIN, venv_bin)
        for cmd in set(re.findall(r"^Exec\w+=[-@:+!]*(/\S+)", text, flags=re.M)):
            if not Path(cmd).exists():
                stub = stubs / Path(cmd).name
                stub.write_text("#!/bin/sh\n")
                stub.chmod(0o755)
                text = text.replace(cmd, str(stub))
        (out / path.name).write_text(text)
    return out


def test_every_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (no systemd on this machine)")
    units = staged_units(tmp_path)
    # Instances of the templates, as an installer enables them.
    for template, instance in (("canteen-ingest@.service", "canteen-ingest@1.service"),
                               ("canteen-kiosk@.service", "canteen-kiosk@diner.service"),
                               ("canteen-job@.service", "canteen-job@grant-subsidies.service")):
        (units / instance).write_text((units / template).read_text())
    names = sorted(p.name for p in units.iterdir() if "@." not in p.name)
    run = subprocess.run([tool, "verify", "--man=no", *names], cwd=units,
                         capture_output=True, text=True, timeout=120)
    # systemd < 254 does not know RestartSteps (the broker's growing restart delay): it says
    # so and ignores it, which is what the unit's comment promises.
    problems = [line for line in (run.stdout + run.stderr).splitlines()
                if line.strip() and "RestartSteps" not in line and "RestartMaxDelaySec" not in line]
    assert run.returncode == 0 and problems == [], "\n".join(problems)


@pytest.mark.parametrize("path", PYTHON_SERVICES, ids=lambda p: p.name)
def test_our_services_are_hardened_and_run_as_the_dedicated_user(path: Path) -> None:
    service = read_unit(path)["Service"]
    assert service["User"] == "canteen" and service["Group"] == "canteen"
    for key, value in {"NoNewPrivileges": "true", "ProtectSystem": "strict",
                       "ProtectHome": "true", "PrivateTmp": "true", "CapabilityBoundingSet": "",
                       "RestrictSUIDSGID": "true"}.items():
        assert service.get(key) == value, f"{path.name}: {key}"
    assert service["StateDirectory"] == "canteen-edge"


def test_the_screen_restarts_on_failure_and_on_a_frozen_ui() -> None:
    kiosk = read_unit(UNITS / "canteen-kiosk@.service")["Service"]
    assert kiosk["Type"] == "notify" and kiosk["Restart"] == "on-failure"
    assert int(kiosk["WatchdogSec"]) > 0 and kiosk["NotifyAccess"] == "all"
    assert "--mode %i" in kiosk["ExecStart"]
    ingest = read_unit(UNITS / "canteen-ingest@.service")["Service"]
    assert "--worker-id %i" in ingest["ExecStart"]
    timers = {p.name for p in UNITS.glob("canteen-job@*.timer")}
    from hub.accounts.jobs import JOBS

    # Every money job has its timer (canteen-job@.service runs `canteen-hub jobs <name>`).
    assert {f"canteen-job@{job}.timer" for job in JOBS} <= timers


def test_sd_notify_reaches_a_notify_socket(tmp_path: Path) -> None:
    import socket

    from edge_agent.sdnotify import notify, watchdog_interval_s

    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        assert notify("READY=1", env={"NOTIFY_SOCKET": str(path)})
        assert sock.recv(64) == b"READY=1"
    assert not notify("READY=1", env={})
    assert watchdog_interval_s(env={"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval_s(env={}) is None
    assert watchdog_interval_s(env={"WATCHDOG_USEC": "nonsense"}) is None


def test_scheduled_hub_commands_are_ones_the_cli_accepts() -> None:
    # A timer whose command line the CLI refuses fails silently every night: parse each one.
    import shlex

    from hub.recommend.cli import _parser as recommend_parser

    train = read_unit(UNITS / "canteen-recommend-train.service")["Service"]["ExecStart"]
    program, domain, *args = shlex.split(train)
    assert program == VENV_BIN + "canteen-hub" and domain == "recommend"
    parsed = recommend_parser().parse_args(args)
    assert parsed.command == "train" and parsed.publish and parsed.quiet and parsed.site is None
    timer = read_unit(UNITS / "canteen-recommend-train.timer")["Timer"]
    assert timer["Persistent"] == "true" and timer["OnCalendar"]
