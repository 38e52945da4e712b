"""Slow work on a worker thread; its result comes back on Kivy's main thread (@mainthread)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kivy.clock import mainthread

log = logging.getLogger(__name__)
T = TypeVar("T")


@mainthread
def _deliver(done: Callable[[Any], None], result: Any) -> None:
    try:
        done(result)
    except Exception:  # a callback bug must never show a traceback to the diner
        log.exception("background result not applied")


class KivyBackground:
    """The journey's Background for the UI: a daemon thread per job, the answer on the UI."""

    def submit(self, name: str, work: Callable[[], T], done: Callable[[T], None]) -> None:
        """Run ``work`` on a thread named ``kiosk-<name>``; ``done(result)`` on the main thread."""

        def run() -> None:
            _deliver(done, work())

        threading.Thread(target=run, name=f"kiosk-{name}", daemon=True).start()
