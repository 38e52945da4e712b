"""A pseudo-terminal 'serial port' at a stable symlink path that can be unplugged and replugged."""

from __future__ import annotations

import logging
import os
import select
import tempfile
import threading
import tty
from pathlib import Path

log = logging.getLogger(__name__)


class PtyPort:
    """The device end of a pty pair; drivers open `path` (a symlink, like /dev/serial/by-id/...)."""

    def __init__(self, path: str | Path | None = None) -> None:
        """Remember where the symlink goes (a fresh temp path when None); nothing opens yet."""
        if path is None:
            path = Path(tempfile.mkdtemp(prefix="canteen-sim-")) / "tty"
        self.path = Path(path)
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()

    @property
    def plugged(self) -> bool:
        """True while the pty exists and the symlink points at it."""
        return self._master is not None

    def plug(self) -> None:
        """Create a new pty (its /dev/pts number changes) and point the stable path at it."""
        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            # Raw mode: no echo, no CR/LF translation; we keep the slave open so the master never
            # sees EIO while no driver has the port open.
            tty.setraw(slave)
            os.set_blocking(master, False)
            tmp = self.path.with_name(self.path.name + ".new")
            tmp.unlink(missing_ok=True)
            os.symlink(os.ttyname(slave), tmp)
            os.replace(tmp, self.path)
            self._master, self._slave = master, slave
            log.info("pty %s plugged -> %s", self.path, os.ttyname(slave))

    def unplug(self) -> None:
        """Remove the path and close the pty: an open driver gets EIO, a reopen gets ENOENT."""
        with self._lock:
            self.path.unlink(missing_ok=True)
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None

    def read(self, timeout: float) -> bytes:
        """Bytes the driver wrote, waiting up to `timeout`; b"" when none or unplugged."""
        master = self._master
        if master is None:
            threading.Event().wait(timeout)
            return b""
        try:
            ready, _, _ = select.select([master], [], [], timeout)
            return os.read(master, 65536) if ready else b""
        except (OSError, ValueError):  # unplugged under us
            return b""

    def write(self, data: bytes) -> bool:
        """Send bytes to the driver; False when unplugged or the pty is full."""
        master = self._master
        if master is None:
            return False
        try:
            view = memoryview(data)
            while view:
                _, writable, _ = select.select([], [master], [], 1.0)
                if not writable:
                    return False
                n = os.write(master, view)
                view = view[n:]
            return True
        except (OSError, ValueError):
            return False


class SimDevice:
    """A device simulator: a PtyPort plus a thread that feeds incoming bytes to `on_bytes`."""

    tick_s = 0.05

    def __init__(self, path: str | Path | None = None) -> None:
        """Prepare the port; call start() to plug it in and run."""
        self.port = PtyPort(path)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> Path:
        """The stable path drivers open."""
        return self.port.path

    def start(self) -> None:
        """Plug the port in and start serving."""
        self.port.plug()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and unplug."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.port.unplug()

    def unplug(self) -> None:
        """Pull the cable: the pty disappears (the thread keeps running, idle)."""
        self.port.unplug()

    def replug(self) -> None:
        """Plug back in: a new pty behind the same path."""
        self.port.plug()

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.port.read(self.tick_s)
            if data:
                self.on_bytes(data)
            self.tick()

    def on_bytes(self, data: bytes) -> None:
        """Handle bytes from the driver (override)."""

    def tick(self) -> None:
        """Called about every `tick_s` (override to stream output)."""

    def __enter__(self) -> SimDevice:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
