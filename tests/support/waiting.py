"""The one way tests wait: poll a condition until it holds, never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable

Shown = str | Callable[[], object]


def wait_for(check: Callable[[], object], timeout: float = 30.0, what: Shown = "the condition",
             interval: float = 0.05) -> None:
    """Poll check() until it is truthy; else fail naming `what` (or what `what()` returns now).

    The timeout is a ceiling for a broken run, not a speed target: a healthy run returns as
    soon as the condition holds.
    """
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout}s waiting for {said}")
        time.sleep(interval)
