"""Observable state: a frozen dataclass plus a list of listener callbacks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

S = TypeVar("S")


class Observable(Generic[S]):
    """Holds ``state`` (a frozen dataclass) and tells listeners after every change.

    Listeners run synchronously on the caller's thread; Kivy screens schedule their own
    UI update on the main thread. A failing listener is logged and the others still run.
    """

    def __init__(self, state: S) -> None:
        """Start with ``state``."""
        self._state = state
        self._listeners: list[Callable[[S], None]] = []

    @property
    def state(self) -> S:
        """The current state (immutable: compare with ``is`` to skip redraws)."""
        return self._state

    def subscribe(self, listener: Callable[[S], None]) -> Callable[[], None]:
        """Call ``listener(state)`` after each change; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _update(self, **changes: Any) -> None:
        self._set(replace(self._state, **changes))  # type: ignore[type-var]

    def _set(self, state: S) -> None:
        if state == self._state:
            return
        self._state = state
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:  # one bad screen must not stop the journey
                log.exception("state listener failed")
