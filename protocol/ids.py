"""Time-ordered ids (UUIDv7, RFC 9562) made on the device, in the stdlib only."""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import UTC, datetime, timedelta

UUID7_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_UUID7_RE = re.compile(UUID7_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COUNTER_MAX = 0xFFF  # 12 bits of rand_a serve as a counter within one millisecond


class _Uuid7Source:
    """Makes UUIDv7 values that increase strictly within this process.

    RFC 9562 method 1: the 12 ``rand_a`` bits are a counter seeded at random
    (top bit clear, so it has room to grow) each new millisecond; when it
    overflows, the timestamp borrows the next millisecond. A clock stepping
    backwards therefore never makes a smaller id.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def next(self) -> str:
        """The next id as a lowercase canonical string."""
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                self._counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
            else:
                self._counter += 1
                if self._counter > _COUNTER_MAX:
                    self._last_ms += 1
                    self._counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
            ms, counter = self._last_ms, self._counter
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_SOURCE = _Uuid7Source()


def new_message_id() -> str:
    """A new message id: a UUIDv7 string, strictly increasing within this process."""
    return _SOURCE.next()


def new_order_id() -> str:
    """A new order id (same scheme as message ids: UUIDv7, made on the device)."""
    return _SOURCE.next()


def is_uuid7(value: object) -> bool:
    """True for a lowercase canonical UUIDv7 string (the only form on the wire)."""
    return isinstance(value, str) and _UUID7_RE.fullmatch(value) is not None


def uuid7_time(value: str) -> datetime:
    """The UTC creation time (millisecond precision) written in a UUIDv7 string."""
    if not is_uuid7(value):
        raise ValueError(f"not a canonical lowercase UUIDv7: {value!r}")
    ms = int(value[:8] + value[9:13], 16)
    try:
        return _EPOCH + timedelta(milliseconds=ms)
    except OverflowError as err:  # 48-bit ms reach past year 9999
        raise ValueError(f"UUIDv7 timestamp out of range: {value!r}") from err
