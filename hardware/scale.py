"""Weighing scales streaming continuous "ST,GS,+0001.234kg" lines: grams, stability, tare."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, replace

from hardware.config import ContinuousScaleConfig
from hardware.readers.framing import LineFramer
from hardware.serial_link import SerialWorker

log = logging.getLogger(__name__)

_LINE = re.compile(r"(ST|US|OL),(GS|NT),([+-])\s*(\d+(?:\.\d+)?)\s*(kg|g)")


class ScaleError(Exception):
    """A scale line could not be read, or an operation is not possible now."""


@dataclass(frozen=True)
class ScaleFrame:
    """One parsed line: gross or net grams as the scale reported them."""

    status: str
    mode: str
    grams: int


def parse_frame(line: str) -> ScaleFrame:
    """Parse "ST,GS,+0001.234kg" (ST stable, US unstable, OL overload; GS gross, NT net)."""
    m = _LINE.fullmatch(line.strip())
    if not m:
        raise ScaleError(f"not a continuous scale line: {line!r}")
    status, mode, sign, number, unit = m.groups()
    grams = float(number) * (1000 if unit == "kg" else 1)
    return ScaleFrame(status, mode, round(grams) * (-1 if sign == "-" else 1))


@dataclass(frozen=True)
class Weight:
    """Net weight after our tare, and whether it has settled."""

    net_g: int
    gross_g: int
    tare_g: int
    stable: bool
    overload: bool
    at: float


MIN_SETTLED_READINGS = 5
"""Consecutive agreeing readings that show a settled weight even when read in one burst."""


class ContinuousScale(SerialWorker):
    """A scale on a serial port: `latest` weight, `wait_stable()` for the next settled one."""

    def __init__(self, config: ContinuousScaleConfig) -> None:
        """Built from its config."""
        super().__init__(config.port, config.baud, config.reconnect_s)
        self.window_s = config.stable_window_s
        self.tolerance_g = config.stable_tolerance_g
        self.framer = LineFramer(max_length=40)
        self.tare_g = 0
        self.latest: Weight | None = None
        self._recent: deque[tuple[float, int, bool]] = deque()
        self._changed = threading.Condition()

    def on_bytes(self, data: bytes, now: float) -> None:
        """Parse lines; discard and count the unreadable ones."""
        for line in self.framer.feed(data, now):
            try:
                frame = parse_frame(line)
            except ScaleError:
                self.framer.counts["garbage"] += 1
                continue
            self._add(frame, now)

    def _add(self, frame: ScaleFrame, now: float) -> None:
        gross = frame.grams + (self.tare_g if frame.mode == "NT" else 0)
        self._recent.append((now, gross, frame.status == "ST"))
        while self._recent and now - self._recent[0][0] > self.window_s:
            self._recent.popleft()
        # Enough history: the readings cover the window, or enough consecutive readings
        # arrived at once (a loaded host reads buffered frames in a burst; they are still
        # consecutive readings of the scale, so their agreement counts).
        spans = (now - self._recent[0][0] >= self.window_s * 0.8
                 or len(self._recent) >= MIN_SETTLED_READINGS)
        values = [g for _, g, _ in self._recent]
        # Settled: the scale says so, and our own window agrees (some scales flag ST too early).
        stable = (
            spans
            and all(st for _, _, st in self._recent)
            and max(values) - min(values) <= self.tolerance_g
        )
        weight = Weight(gross - self.tare_g, gross, self.tare_g, stable, frame.status == "OL", now)
        with self._changed:
            self.latest = weight
            self._changed.notify_all()

    def wait_stable(self, timeout: float) -> Weight | None:
        """The first stable weight read after this call, within `timeout` seconds, else None."""
        start = time.monotonic()
        deadline = start + timeout
        with self._changed:
            while True:
                w = self.latest
                if w and w.stable and w.at >= start and self.state == "connected":
                    return self.latest
                left = deadline - time.monotonic()
                if left <= 0 or not self._changed.wait(left):
                    return None

    def tare(self) -> int:
        """Take the stable gross weight as tare (the empty plate); refused while unsettled."""
        weight = self.latest
        if weight is None or not weight.stable or self.state != "connected":
            raise ScaleError("称重未稳定，无法去皮 / weight is not stable, cannot tare")
        if weight.overload:
            raise ScaleError("超出量程 / scale overloaded")
        with self._changed:
            self.tare_g = weight.gross_g
            self.latest = replace(weight, net_g=0, tare_g=self.tare_g)
        return self.tare_g

    def clear_tare(self) -> None:
        """Forget the tare."""
        with self._changed:
            self.tare_g = 0
