"""Keep the demo's children running the way systemd keeps services running.

Every child is treated like a unit with ``Restart=on-failure``: when it exits with a
non-zero code, or is killed by a signal other than SIGHUP, SIGINT, SIGTERM or SIGPIPE,
it is started again after a delay that doubles with each restart (``RestartSec=`` growing
by ``RestartSteps=`` up to ``RestartMaxDelaySec=``). More than ``burst`` restarts within
``interval_s`` and the child is given up (systemd's start limit, ``StartLimitBurst=`` in
``StartLimitIntervalSec=``): logged as an error with the tail of its log, while the rest
of the site keeps running. A child that stops cleanly stays stopped, and the log says so.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from subprocess import Popen

from demo.processes import Child, ChildFailed, ProcessGroup, stop_on_signals, tail

log = logging.getLogger(__name__)

CLEAN_SIGNALS = frozenset({signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE})
"""Deaths systemd counts as a clean exit (not restarted with ``Restart=on-failure``)."""


class Stopped(Exception):
    """SIGINT or SIGTERM arrived while the site was still starting."""


@dataclass(frozen=True)
class RestartPolicy:
    """Backoff and start limit.

    systemd's defaults (100 ms, 5 starts per 10 s) suit a fixed delay; with a delay that
    doubles, 5 restarts take about 15 s, so the start-limit window here is 2 minutes.
    """

    first_delay_s: float = 0.5
    max_delay_s: float = 30.0
    burst: int = 5
    interval_s: float = 120.0

    def delay(self, restart_no: int) -> float:
        """Seconds to wait before restart number ``restart_no`` (1-based) of the interval."""
        return min(self.max_delay_s, self.first_delay_s * 2 ** max(0, restart_no - 1))


def describe_exit(returncode: int) -> str:
    """``exit code 3`` or ``killed by SIGKILL``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def is_failure(returncode: int) -> bool:
    """What ``Restart=on-failure`` restarts: a non-zero exit or an unclean signal."""
    if returncode < 0:
        return -returncode not in CLEAN_SIGNALS
    return returncode != 0


@dataclass(frozen=True)
class Unit:
    """Something the supervisor keeps running: its current process and how to start it."""

    name: str
    process: Callable[[], Popen[bytes] | None]
    start: Callable[[], object]
    log_path: Path | None = None


def _current(child: Child) -> Popen[bytes]:
    return child.proc


@dataclass
class _State:
    restarts: deque[float] = field(default_factory=deque)
    total_restarts: int = 0
    restart_at: float | None = None
    given_up: bool = False
    stopped: bool = False


class Supervisor:
    """Watches a ProcessGroup's children and any extra units (the broker); call `poll()`."""

    def __init__(self, group: ProcessGroup, policy: RestartPolicy | None = None, *,
                 units: Iterable[Unit] = (), stop: threading.Event | None = None) -> None:
        self.group = group
        self.policy = policy or RestartPolicy()
        self.extra = list(units)
        self.stop = stop if stop is not None else stop_on_signals()
        self._state: dict[str, _State] = {}

    def units(self) -> Iterator[Unit]:
        """The extra units, then every child of the group (children may be added any time)."""
        yield from self.extra
        for c in list(self.group.children):
            yield Unit(c.name, partial(_current, c), partial(self.group.respawn, c),
                       c.log_path)

    def checkpoint(self) -> None:
        """Raise `Stopped` if a stop signal came; otherwise heal what exited."""
        if self.stop.is_set():
            raise Stopped("stop requested")
        self.poll()

    def poll(self) -> None:
        """Notice exits, start what is due; never raises for a child's failure."""
        if self.stop.is_set():
            return
        now = time.monotonic()
        for unit in self.units():
            st = self._state.setdefault(unit.name, _State())
            if st.given_up or st.stopped:
                continue
            if st.restart_at is not None:
                if now >= st.restart_at:
                    self._restart(unit, st)
                continue
            proc = unit.process()
            if proc is not None and proc.poll() is not None:
                self._exited(unit, st, proc.returncode, now)

    def _exited(self, unit: Unit, st: _State, returncode: int, now: float) -> None:
        how = describe_exit(returncode)
        if not is_failure(returncode):
            st.stopped = True
            log.warning("%s stopped cleanly (%s); not restarted (Restart=on-failure)",
                        unit.name, how)
            return
        while st.restarts and now - st.restarts[0] > self.policy.interval_s:
            st.restarts.popleft()
        if len(st.restarts) >= self.policy.burst:
            st.given_up = True
            log.error("GAVE UP on %s (%s): %d restarts within %.0f s hit the start limit; "
                      "it stays down, the rest of the site keeps running. Last lines of "
                      "its log (%s):\n%s", unit.name, how, len(st.restarts),
                      self.policy.interval_s, unit.log_path or "-",
                      tail(unit.log_path, 15) if unit.log_path else "")
            return
        delay = self.policy.delay(len(st.restarts) + 1)
        st.restart_at = now + delay
        log.warning("%s exited (%s); restart %d of at most %d in %.0f s, in %.3g s",
                    unit.name, how, len(st.restarts) + 1, self.policy.burst,
                    self.policy.interval_s, delay)

    def _restart(self, unit: Unit, st: _State) -> None:
        st.restart_at = None
        st.restarts.append(time.monotonic())
        st.total_restarts += 1
        try:
            unit.start()
        except (OSError, RuntimeError) as err:
            log.warning("%s could not be started: %s", unit.name, err)
            self._exited(unit, st, 1, time.monotonic())
            return
        proc = unit.process()
        log.warning("%s restarted (pid %s)", unit.name, proc.pid if proc else "?")

    @property
    def given_up(self) -> list[str]:
        """Names of the children the supervisor gave up on."""
        return [name for name, st in self._state.items() if st.given_up]

    def require(self, *names: str) -> None:
        """Raise ChildFailed if one of these children was given up (the site needs it)."""
        lost = [n for n in names if n in self.given_up]
        if lost:
            raise ChildFailed(f"gave up on {', '.join(lost)}: the site cannot run without it")

    def summary(self) -> str:
        """``restarted hub-ingest ×1, mosquitto ×1 · gave up on printer-sim``, or ``""``."""
        restarted = [f"{n} ×{st.total_restarts}" for n, st in self._state.items()
                     if st.total_restarts]
        parts = []
        if restarted:
            parts.append("restarted " + ", ".join(restarted))
        if self.given_up:
            parts.append("gave up on " + ", ".join(self.given_up))
        return " · ".join(parts)
