"""A group of child processes that is started in order and stopped as one."""

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

log = logging.getLogger(__name__)


class ChildFailed(RuntimeError):
    """A child process exited or never became ready."""


@dataclass
class Child:
    """One named child process with its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]


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
              extra_env: Mapping[str, str] | None = None) -> Child:
        """Start a long-running child in its own process group."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        out = log_path.open("ab")
        proc = subprocess.Popen(
            [sys.executable, *args], stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, env={**self.env, **(extra_env or {})},
            start_new_session=True,
        )
        child = Child(name, proc, log_path, out)
        self.children.append(child)
        return child

    def check_alive(self) -> None:
        """Raise if any child has exited."""
        for c in self.children:
            if c.proc.poll() is not None:
                raise ChildFailed(f"{c.name} exited with {c.proc.returncode}:\n{tail(c.log_path)}")

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


def wait_http_ok(url: str, *, timeout: float, group: ProcessGroup | None = None) -> None:
    """Poll `url` until it answers 200, failing early if a child died."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if group:
            group.check_alive()
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
