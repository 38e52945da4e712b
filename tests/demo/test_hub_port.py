"""The hub keeps its port: across a quick restart of the demo, and across a restart of the hub.

The demo binds the hub's socket itself (SO_REUSEADDR) and hands it to every run of the hub
(`canteen-hub serve --fd`). A plain bind, as the old free-port probe did, is refused while
the last run's connections sit in TIME_WAIT, and the hub moved to another port.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from demo import cli
from demo.broker import free_port
from tests.support.demo_site import DemoRun, alive, demo_token, http_json
from tests.support.waiting import wait_for


def _leave_time_wait(port: int) -> None:
    """Connections to ``port`` closed by the server first: TIME_WAIT sits on that port."""
    with socket.socket() as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", port))
        srv.listen()
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as client:
                conn, _ = srv.accept()
                conn.close()
                assert client.recv(1) == b""


def _time_waits(port: int) -> int:
    """Sockets in TIME_WAIT on local port ``port`` (per `ss`)."""
    out = subprocess.run(["ss", "-Htan", "state", "time-wait", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return len(out.splitlines())


def _plain_bind_refused(port: int) -> bool:
    """What the old probe met: a bind without SO_REUSEADDR is refused."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False


def test_the_hub_socket_takes_its_port_back_while_connections_sit_in_time_wait() -> None:
    port = free_port()
    _leave_time_wait(port)
    assert _plain_bind_refused(port), "no TIME_WAIT left on the port: the test proves nothing"
    with cli.hub_socket("127.0.0.1", port) as sock:
        assert sock.getsockname()[1] == port
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_without_a_port_the_preferred_port_is_taken_back_else_a_free_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    preferred = free_port()
    monkeypatch.setattr(cli, "DEFAULT_HUB_PORT", preferred)
    _leave_time_wait(preferred)
    with cli.hub_socket("127.0.0.1", 0) as sock:
        assert sock.getsockname()[1] == preferred
        # Someone else listening on it: the hub takes another port, and really listens there.
        with cli.hub_socket("127.0.0.1", 0) as other:
            got = other.getsockname()[1]
            assert got not in (0, preferred)
            with socket.create_connection(("127.0.0.1", got), timeout=5):
                pass


def test_an_explicit_port_in_use_is_refused_with_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(cli.HubPortError, match=f"127.0.0.1:{port}"):
            cli.hub_socket("127.0.0.1", port)


@pytest.mark.slow
def test_quick_restarts_and_a_killed_hub_keep_the_port(tmp_path: Path,
                                                        start_demo: type[DemoRun]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tmp_path / "demo"
    for round_no in range(3):
        run = start_demo(data, "--port", str(port), "--no-devices")
        run.wait_up()
        assert f"{base}/admin" in run.output, run.output
        health = http_json(f"{base}/healthz")
        assert isinstance(health, dict) and health["status"] == "ok"
        token = demo_token(base)
        sites = http_json(f"{base}/api/v1/sites", token=token)
        assert isinstance(sites, dict) and sites["total"] >= 2
        if round_no == 1:
            os.kill(run.child("hub.cli serve"), signal.SIGKILL)
            run.wait_supervisor_log("hub restarted")
            assert "hub exited (killed by SIGKILL)" in run.supervisor_log()
            # The same socket: the port answers again (a request made meanwhile waits).
            assert http_json(f"{base}/healthz") == health
        run.stop()
        if shutil.which("ss"):
            assert _time_waits(port) > 0, "the restart did not meet TIME_WAIT connections"


@pytest.mark.slow
def test_a_demo_killed_with_sigkill_leaves_no_child_holding_the_port(
        tmp_path: Path, start_demo: type[DemoRun]) -> None:
    port = free_port()
    data = tmp_path / "demo"
    run = start_demo(data, "--port", str(port), "--no-devices")
    run.wait_up()
    children = dict(run.started_children)
    assert any("mosquitto" in a for a in children.values()), children
    run.proc.kill()
    run.proc.wait(timeout=30)
    wait_for(lambda: not any(alive(p) for p in children), 60,
             what=lambda: f"orphans: { {p: a for p, a in children.items() if alive(p)} }")
    again = start_demo(data, "--port", str(port), "--no-devices")
    again.wait_up()
    assert http_json(f"http://127.0.0.1:{port}/healthz") is not None
    again.stop()
