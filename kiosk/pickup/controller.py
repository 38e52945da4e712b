"""What the pickup board shows: preparing and ready numbers, the newest ready highlighted."""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from edge_agent.kitchen.board_store import BoardStore
from edge_agent.kitchen.config import KitchenConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PickupView:
    """The two columns as RecycleView data."""

    preparing: list[dict[str, Any]]
    ready: list[dict[str, Any]]
    newly_ready: list[str]


class PickupController:
    """Reads the board store; remembers which numbers it has already announced."""

    def __init__(self, store: BoardStore, config: KitchenConfig) -> None:
        self.store, self.config = store, config
        self._announced: set[str] = set()
        self._first = True

    def refresh(self) -> PickupView:
        """The board now; ``newly_ready`` are numbers not announced before."""
        board = self.store.board(ready_shown_s=self.config.ready_shown_s)
        n = self.config.newest_highlighted
        ready = list(board.ready)
        newest = {e.order_id for e in ready[-n:]} if n else set()
        # Newest first: the number a diner is waiting for is at the top.
        ready_rows = [{"text": e.order_no, "highlight": e.order_id in newest}
                      for e in reversed(ready)]
        prep_rows = [{"text": e.order_no, "highlight": False} for e in board.preparing]
        fresh = [e.order_no for e in ready if e.order_id not in self._announced]
        self._announced.update(e.order_id for e in ready)
        if self._first:  # after a restart, do not call out every number again
            fresh, self._first = [], False
        return PickupView(prep_rows, ready_rows, fresh)

    def collect(self, order_no: str) -> bool:
        """The counter hands over an order."""
        return self.store.collect(order_no)


class Announcer:
    """Says a ready number with espeak-ng when installed, else a chime; detected at run time."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.espeak = shutil.which("espeak-ng") if mode == "speech" else None

    def announce(self, order_no: str) -> str:
        """Announce one number; how it was done ("speech", "chime" or "off")."""
        if self.mode == "off":
            return "off"
        if self.espeak:
            spoken = " ".join(order_no)
            subprocess.Popen([self.espeak, "-v", "cmn", f"{spoken} 号请取餐"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return "speech"
        try:
            from kivy.core.audio import SoundLoader

            sound = SoundLoader.load("chime.wav")
            if sound is not None:
                sound.play()
        except Exception:  # no audio device on a board is not an error worth a crash
            log.debug("chime unavailable", exc_info=True)
        return "chime"
