"""Forget the diner after a while without a touch."""

from __future__ import annotations

from datetime import datetime, timedelta


class IdleTimer:
    """Forget the diner after ``timeout_s`` without a touch; driven by ``tick(now)``."""

    def __init__(self, timeout_s: float) -> None:
        """Not running until the first touch."""
        self.timeout = timedelta(seconds=timeout_s)
        self.last: datetime | None = None

    def touched(self, now: datetime) -> None:
        """The diner did something."""
        self.last = now

    def stop(self) -> None:
        """Back at idle: nothing to time."""
        self.last = None

    def expired(self, now: datetime) -> bool:
        """True once the timeout has passed since the last touch."""
        return self.last is not None and now - self.last >= self.timeout

    def remaining_s(self, now: datetime) -> float | None:
        """Seconds left (None when not running), for a "still there?" hint."""
        if self.last is None:
            return None
        return max(0.0, (self.timeout - (now - self.last)).total_seconds())
