"""Byte-stream framers for readers: CR/LF lines and RDM6300 frames, counting what they discard."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

STX, ETX = 0x02, 0x03


@dataclass
class LineFramer:
    """Splits CR, LF or CRLF terminated lines; overlong or non-printable lines are discarded."""

    max_length: int = 64
    stale_s: float = 0.5
    counts: Counter[str] = field(default_factory=Counter)
    _buf: bytearray = field(default_factory=bytearray)
    _last: float = 0.0
    _skipping: bool = False

    def feed(self, data: bytes, now: float) -> list[str]:
        """Complete, valid lines found so far."""
        if self._buf and now - self._last > self.stale_s:
            self.counts["partial"] += 1  # a line that never ended
            self._buf.clear()
        if data:
            self._last = now
        out = []
        for byte in data:
            if byte in (0x0D, 0x0A):
                self._skipping = False  # the rest of an overlong line ends here
                if self._buf:
                    line = self._take()
                    if line is not None:
                        out.append(line)
                continue
            if self._skipping:
                continue
            self._buf.append(byte)
            if len(self._buf) > self.max_length:
                self.counts["too_long"] += 1
                self._buf.clear()
                self._skipping = True
        return out

    def _take(self) -> str | None:
        raw = bytes(self._buf)
        self._buf.clear()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.counts["garbage"] += 1
            return None
        if not text.isprintable():
            self.counts["garbage"] += 1
            return None
        return text.strip()


@dataclass
class Rdm6300Framer:
    """RDM6300 frames: STX, 10 hex data chars, 2 hex chars = XOR of the 5 data bytes, ETX."""

    stale_s: float = 0.2
    counts: Counter[str] = field(default_factory=Counter)
    _buf: bytearray = field(default_factory=bytearray)
    _in_frame: bool = False
    _last: float = 0.0

    def feed(self, data: bytes, now: float) -> list[str]:
        """Card ids (10 uppercase hex chars) of frames with a correct checksum."""
        if self._in_frame and now - self._last > self.stale_s:
            self.counts["partial"] += 1
            self._reset()
        if data:
            self._last = now
        out = []
        for byte in data:
            if byte == STX:
                if self._in_frame:
                    self.counts["partial"] += 1  # a new frame began before this one ended
                self._reset()
                self._in_frame = True
            elif not self._in_frame:
                self.counts["garbage"] += 1
            elif byte == ETX:
                card = self._check(bytes(self._buf))
                if card:
                    out.append(card)
                self._reset()
            else:
                self._buf.append(byte)
                if len(self._buf) > 12:
                    self.counts["garbage"] += 1
                    self._reset()
        return out

    def _reset(self) -> None:
        self._buf.clear()
        self._in_frame = False

    def _check(self, body: bytes) -> str | None:
        try:
            text = body.decode("ascii").upper()
            values = bytes.fromhex(text)
        except (UnicodeDecodeError, ValueError):
            self.counts["garbage"] += 1
            return None
        if len(values) != 6:
            self.counts["garbage"] += 1
            return None
        xor = 0
        for b in values[:5]:
            xor ^= b
        if xor != values[5]:
            self.counts["bad_checksum"] += 1
            return None
        return text[:10]


def rdm6300_frame(card: str, corrupt_checksum: bool = False) -> bytes:
    """The bytes an RDM6300 sends for a 10-hex-char card id (used by the simulator)."""
    values = bytes.fromhex(card)
    if len(values) != 5:
        raise ValueError("RDM6300 card ids are 10 hex characters")
    xor = 0
    for b in values:
        xor ^= b
    if corrupt_checksum:
        xor ^= 0xFF
    return bytes([STX]) + card.upper().encode() + f"{xor:02X}".encode() + bytes([ETX])
