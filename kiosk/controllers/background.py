"""Slow work (the scale settling, the printer) kept off the UI thread, answered on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Background(Protocol):
    """Runs ``work`` somewhere, then ``done(result)`` on the thread that owns the controllers."""

    def submit(self, name: str, work: Callable[[], T], done: Callable[[T], None]) -> None:
        """Start ``work``; ``done`` gets its result later (``work`` must not raise)."""
        ...


class Inline:
    """Runs the work at once on the caller's thread (tests, scripts without a UI)."""

    def submit(self, name: str, work: Callable[[], T], done: Callable[[T], None]) -> None:
        """Work, then done, before returning."""
        done(work())
