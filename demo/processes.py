"""A group of child processes that is started in order and stopped as one.

`demo.supervisor` watches the group and starts a child again (`respawn`) when it exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

log = logging.getLogger(__name__)


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child sent SIGTERM when the demo dies, even by SIGKILL.

    Linux's PR_SET_PDEATHSIG, like systemd ending a unit's whole cgroup: a killed demo leaves
    no hub holding its port and no broker writing its persistence file. None elsewhere.
    Children must be started from the main thread (the signal follows the starting thread).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, not in the fork
    parent = os.getpid()

    def _set() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the demo died before prctl: go now
            os._exit(1)

    return _set


class ChildFailed(RuntimeError):
    """A child process exited or never became ready."""


@dataclass
class Child:
    """One named child process with its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    args: tuple[str, ...] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)
    pass_fds: tuple[int, ...] = ()


@dataclass
class ProcessGroup:
    """Children started by the demo; `stop()` ends every one of them."""

    log_dir: Path
    env: Mapping[str, str]
    children: list[Child] = field(default_factory=list)

    def run(self, name: str, args: Sequence[str], *, timeout: float = 300) -> None:
        """Run a one-shot command to completion; raise with its log tail if it fails."""
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as out:
            rc = subprocess.call(
                [sys.executable, *args], stdout=out, stderr=subprocess.STDOUT,
                env=dict(self.env), timeout=timeout,
            )
        if rc != 0:
            raise ChildFailed(f"{name} failed (exit {rc}):\n{tail(log_path)}")

    def start(self, name: str, args: Sequence[str],
              extra_env: Mapping[str, str] | None = None,
              pass_fds: Sequence[int] = ()) -> Child:
        """Start a long-running child in its own process group (``pass_fds`` are inherited)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        out = log_path.open("ab")
        child = Child(name, self._spawn(args, extra_env or {}, pass_fds, out), log_path, out,
                      tuple(args), dict(extra_env or {}), tuple(pass_fds))
        self.children.append(child)
        return child

    def respawn(self, child: Child) -> None:
        """Start an exited child again: same command, environment and log file."""
        if child.proc.poll() is None:
            return
        # Like systemd's KillMode=control-group: nothing of the old run outlives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.proc.pid, signal.SIGKILL)
        child.proc = self._spawn(child.args, child.extra_env, child.pass_fds, child.log_file)

    def _spawn(self, args: Sequence[str], extra_env: Mapping[str, str],
               pass_fds: Sequence[int], out: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, *args], stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, env={**self.env, **extra_env},
            start_new_session=True, pass_fds=tuple(pass_fds), preexec_fn=die_with_parent(),
        )

    def stop_some(self, prefixes: tuple[str, ...], timeout: float = 10.0) -> None:
        """Stop only the children whose names start with one of ``prefixes``."""
        chosen = [c for c in self.children if c.name.startswith(prefixes)]
        rest = [c for c in self.children if not c.name.startswith(prefixes)]
        self.children = chosen
        try:
            self.stop(timeout)
        finally:
            self.children = rest

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM every child (newest first), then SIGKILL what is left."""
        for c in reversed(self.children):
            if c.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(c.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for c in reversed(self.children):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                c.proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", c.name)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(c.proc.pid, signal.SIGKILL)
                c.proc.wait(timeout=5)
            c.log_file.close()
        self.children.clear()


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: the demo's child processes loop until it is set."""
    stop = threading.Event()

    def _set(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _set)
    signal.signal(signal.SIGINT, _set)
    return stop


def wait_http_ok(url: str, *, timeout: float, check: Callable[[], None] | None = None) -> None:
    """Poll `url` until it answers 200; ``check`` runs between tries and may raise to give up."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if check:
            check()
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as err:
            last = err
        time.sleep(0.2)
    raise ChildFailed(f"{url} did not answer within {timeout}s ({last})")


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
