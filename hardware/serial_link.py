"""A background reader on a serial port that reopens it by name after an unplug."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Literal

import serial

log = logging.getLogger(__name__)

LinkState = Literal["stopped", "connecting", "connected", "disconnected"]


class SerialWorker:
    """Reads a serial port in a thread and hands bytes to `on_bytes`; survives unplug/replug."""

    def __init__(self, port: str, baud: int, reconnect_s: float = 1.0) -> None:
        """Remember the port; nothing opens until start()."""
        self.port = port
        self.baud = baud
        self.reconnect_s = reconnect_s
        self.state: LinkState = "stopped"
        self.reconnects = 0
        self._serial: serial.Serial | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the reader thread."""
        self._stop.clear()
        self.state = "connecting"
        self._thread = threading.Thread(target=self._run, name=f"serial:{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._close()
        self.state = "stopped"

    def wait_connected(self, timeout: float) -> bool:
        """Wait until the port is open."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state == "connected":
                return True
            time.sleep(0.01)
        return False

    def write(self, data: bytes) -> bool:
        """Send bytes to the device (e.g. a scale command); False when not connected."""
        ser = self._serial
        if ser is None:
            return False
        try:
            ser.write(data)
            return True
        except (OSError, serial.SerialException):
            return False

    def _close(self) -> None:
        if self._serial is not None:
            with contextlib.suppress(OSError, serial.SerialException):
                self._serial.close()  # may already be gone with the cable
            self._serial = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._serial = serial.Serial(self.port, self.baud, timeout=0.05)
            except (OSError, serial.SerialException, ValueError) as err:
                if self.state != "disconnected" and self.state != "connecting":
                    log.warning("%s unavailable: %s", self.port, err)
                self.state = "disconnected"
                self._stop.wait(self.reconnect_s)
                continue
            if self.state == "disconnected":
                self.reconnects += 1
            self.state = "connected"
            log.info("%s connected", self.port)
            try:
                while not self._stop.is_set():
                    # read(n) waits for n bytes or the timeout: take one, then what is waiting,
                    # so a frame is handled as soon as it arrives (not 50 ms later).
                    data = self._serial.read(1)
                    if data and self._serial.in_waiting:
                        data += self._serial.read(self._serial.in_waiting)
                    self.on_bytes(data, time.monotonic())
            except (OSError, serial.SerialException) as err:
                log.warning("%s lost: %s", self.port, err)
                self.state = "disconnected"
            finally:
                self._close()
            self._stop.wait(self.reconnect_s)

    def on_bytes(self, data: bytes, now: float) -> None:
        """Handle bytes (possibly b"" after a quiet read timeout); override."""
