"""The demo as a real process (`python -m demo.cli`): what it prints, which children it runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]

START_CEILING_S = 240.0
"""How long a broken run may take before a test gives up (a ceiling, not a speed target)."""


def child_pids(pid: int) -> dict[int, str]:
    """Direct children of ``pid``: pid -> command line."""
    out = subprocess.run(["ps", "-eww", "-o", "pid=,ppid=,args="], capture_output=True,
                         text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        child, parent, args = line.split(None, 2)
        if int(parent) == pid:
            found[int(child)] = args
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False


def http_json(url: str, *, token: str | None = None, data: bytes | None = None,
              method: str | None = None, content_type: str = "application/json") -> object:
    """One request (Connection: close, so the server closes first); the decoded answer."""
    headers = {"Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if data is not None:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def demo_token(base: str) -> str:
    """A token for the demo admin."""
    answer = http_json(f"{base}/api/v1/auth/token", data=b"username=admin&password=canteen-demo",
                       content_type="application/x-www-form-urlencoded")
    assert isinstance(answer, dict)
    return str(answer["access_token"])


class DemoRun:
    """One `python -m demo.cli` process; its output is collected by a reader thread."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        env.update({"PYTHONUNBUFFERED": "1", "KIVY_NO_ARGS": "1"})
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "demo.cli", "--data-dir", str(data_dir), *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.started_children: dict[int, str] = {}

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        """Everything printed so far."""
        return "".join(self.lines)

    def wait_output(self, text: str, timeout: float = START_CEILING_S) -> None:
        """Wait until ``text`` was printed; fail early if the demo exited."""
        def printed() -> bool:
            if text in self.output:
                return True
            assert self.proc.poll() is None, f"demo exited ({self.proc.returncode}):\n{self.output}"
            return False

        wait_for(printed, timeout, what=lambda: f"{text!r} in:\n{self.output[-3000:]}",
                 interval=0.2)

    def wait_up(self) -> None:
        """Wait for the banner's last line; remember the children running then."""
        self.wait_output("Ctrl-C")
        self.started_children = child_pids(self.proc.pid)

    def child(self, part: str) -> int:
        """The pid of the child whose command line contains ``part``."""
        found = [pid for pid, args in child_pids(self.proc.pid).items() if part in args]
        assert len(found) == 1, (part, child_pids(self.proc.pid))
        return found[0]

    def supervisor_log(self) -> str:
        """logs/supervisor.log of this data directory."""
        path = self.data_dir / "logs" / "supervisor.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def wait_supervisor_log(self, text: str, timeout: float = START_CEILING_S) -> None:
        """Wait until logs/supervisor.log says ``text``."""
        def logged() -> bool:
            if text in self.supervisor_log():
                return True
            assert self.proc.poll() is None, f"demo exited ({self.proc.returncode}):\n{self.output}"
            return False

        wait_for(logged, timeout, interval=0.2,
                 what=lambda: f"{text!r} in the supervisor log:\n{self.supervisor_log()}")

    def stop(self) -> str:
        """SIGINT; wait for the exit; assert it stopped cleanly and left no child behind."""
        children = child_pids(self.proc.pid) | self.started_children
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=120)
        self._reader.join(timeout=30)
        assert self.proc.returncode == 0, self.output
        assert "nothing left running" in self.output, self.output
        wait_for(lambda: not any(alive(p) for p in children), 30,
                 what=lambda: f"children still running: "
                              f"{ {p: a for p, a in children.items() if alive(p)} }")
        return self.output

    def kill(self) -> None:
        """Clean up after a failed test: the demo and every child it had."""
        children = dict(self.started_children)
        if self.proc.poll() is None:
            children |= child_pids(self.proc.pid)
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid, args in children.items():
            if alive(pid) and _command_line(pid).startswith(args):  # not a reused pid
                os.kill(pid, signal.SIGKILL)


def _command_line(pid: int) -> str:
    """The process's command line as `ps` shows it ("" when it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()
