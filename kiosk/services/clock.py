"""The clock the kiosk reads: the system's in production, a frozen one in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time (timezone-aware UTC)."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current instant, UTC."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, demos)."""

    def __init__(self, at: datetime) -> None:
        """Start at ``at`` (aware)."""
        if at.tzinfo is None:
            raise ValueError("a frozen clock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        """The frozen instant."""
        return self.at

    def advance(self, seconds: float) -> datetime:
        """Move forward and return the new instant."""
        self.at = self.at + timedelta(seconds=seconds)
        return self.at
