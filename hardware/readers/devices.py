"""Card readers and barcode scanners: framed, validated, debounced reads from a serial port."""

from __future__ import annotations

import logging
import queue
import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from hardware.config import LineCardReaderConfig, LineScannerConfig, Rdm6300ReaderConfig
from hardware.readers.framing import LineFramer, Rdm6300Framer
from hardware.serial_link import SerialWorker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Read:
    """A card id or scanned code, with when it arrived (time.monotonic)."""

    kind: Literal["card", "code"]
    value: str
    at: float


class _Reader(SerialWorker):
    """Shared loop: frame bytes, validate, debounce the same value, queue the rest."""

    kind: Literal["card", "code"] = "card"

    def __init__(self, port: str, baud: int, reconnect_s: float, debounce_s: float) -> None:
        super().__init__(port, baud, reconnect_s)
        self.debounce_s = debounce_s
        self.reads: queue.Queue[Read] = queue.Queue()
        self._last: tuple[str, float] | None = None
        self._framer: LineFramer | Rdm6300Framer = LineFramer()
        self._rejected: Counter[str] = Counter()

    @property
    def counts(self) -> Counter[str]:
        """Input by outcome: garbage, partial, bad_checksum, invalid, debounced, accepted."""
        return self._framer.counts + self._rejected

    def valid(self, value: str) -> bool:
        """Whether a framed value is acceptable (override)."""
        return True

    def on_bytes(self, data: bytes, now: float) -> None:
        """Frame, validate and debounce."""
        for value in self._framer.feed(data, now):
            if not self.valid(value):
                self._rejected["invalid"] += 1
                continue
            if self._last and self._last[0] == value and now - self._last[1] < self.debounce_s:
                self._rejected["debounced"] += 1
                self._last = (value, now)  # a card held on the reader stays debounced
                continue
            self._last = (value, now)
            self._rejected["accepted"] += 1
            self.reads.put(Read(self.kind, value, now))

    def read(self, timeout: float) -> Read | None:
        """The next read, or None after `timeout` seconds."""
        try:
            return self.reads.get(timeout=timeout)
        except queue.Empty:
            return None


class LineCardReader(_Reader):
    """USB-serial RFID reader sending the card number + CR/LF."""

    def __init__(self, config: LineCardReaderConfig) -> None:
        """Built from its config."""
        super().__init__(config.port, config.baud, config.reconnect_s, config.debounce_s)
        self._pattern = re.compile(config.pattern)
        self._framer = LineFramer(max_length=64)

    def valid(self, value: str) -> bool:
        """Card numbers must fully match the configured pattern."""
        return self._pattern.fullmatch(value) is not None


class Rdm6300Reader(_Reader):
    """RDM6300 125 kHz reader (checksummed STX/ETX frames)."""

    def __init__(self, config: Rdm6300ReaderConfig) -> None:
        """Built from its config."""
        super().__init__(config.port, config.baud, config.reconnect_s, config.debounce_s)
        self._framer = Rdm6300Framer()


class BarcodeScanner(_Reader):
    """Serial barcode/QR scanner, one code per line."""

    kind: Literal["card", "code"] = "code"

    def __init__(self, config: LineScannerConfig) -> None:
        """Built from its config."""
        super().__init__(config.port, config.baud, config.reconnect_s, config.debounce_s)
        self._framer = LineFramer(max_length=config.max_length)

    def valid(self, value: str) -> bool:
        """Any non-empty printable code."""
        return bool(value)
