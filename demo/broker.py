"""A private Mosquitto on a free port, for the demo and the tests.

Persistence is saved every second (Mosquitto's default is every 30 minutes). Saving
on every change as well costs ~10x the throughput; what a ``kill -9`` loses from the last
second is re-sent by the devices' outboxes, which keep every event until the hub acks it.
"""

from __future__ import annotations

import getpass
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MOSQUITTO_CANDIDATES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class BrokerError(RuntimeError):
    """The private broker could not be started."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mosquitto_binary() -> str:
    """Locate the mosquitto executable."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for cand in MOSQUITTO_CANDIDATES:
        if os.path.exists(cand):
            return cand
    raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")


class PrivateBroker:
    """A Mosquitto process owned by the caller: start, kill -9, restart, stop."""

    def __init__(self, workdir: Path, port: int | None = None, *, extra_config: str = "",
                 die_with: Callable[[], None] | None = None) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.extra_config = extra_config
        # An optional preexec_fn for mosquitto (the demo's: end it when the demo dies).
        self.die_with = die_with
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """Address clients connect to."""
        return "127.0.0.1"

    @property
    def conf_path(self) -> Path:
        """Where the generated mosquitto.conf lives."""
        return self.workdir / "mosquitto.conf"

    def write_config(self) -> None:
        """Write the broker's configuration into its work directory."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        persist = self.workdir / "data"
        persist.mkdir(exist_ok=True)
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true" if "allow_anonymous" not in self.extra_config else "",
            "persistence true",
            f"persistence_location {persist}/",
            "autosave_interval 1",
            "autosave_on_changes false",
            # Acks are small and latency-bound: do not let Nagle hold them back.
            "set_tcp_nodelay true",
            # The hub's and the kitchen displays' sessions must hold a lunch rush.
            "max_queued_messages 200000",
            "max_inflight_messages 100",
            "persistent_client_expiration 14d",
            f"log_dest file {self.workdir / 'mosquitto.log'}",
            "log_type error",
            "log_type warning",
            "log_type notice",
        ]
        if os.geteuid() == 0:
            # As root Mosquitto drops to the mosquitto user and then cannot
            # write our files; stay the user that owns the work directory.
            lines.append(f"user {getpass.getuser()}")
        lines.append(self.extra_config)
        self.conf_path.write_text("\n".join(x for x in lines if x) + "\n")

    def start(self, timeout: float = 10.0) -> PrivateBroker:
        """Start the broker and wait until it accepts connections."""
        if self.proc and self.proc.poll() is None:
            return self
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()  # the pipe of a run that died (a restart after a crash)
        self.write_config()
        self.proc = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.conf_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=self.die_with,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise BrokerError(f"mosquitto exited at start: {err.strip()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    log.info("private broker on %s:%d", self.host, self.port)
                    return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise BrokerError(f"mosquitto did not listen on port {self.port} in {timeout}s")

    def kill(self) -> None:
        """kill -9 the broker, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the broker cleanly (it saves its persistence file)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def restart(self) -> None:
        """Start again on the same port with the same persistence."""
        self.stop()
        self.start()

    def __enter__(self) -> PrivateBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
