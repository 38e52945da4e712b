"""Attract screen: canteen name, meal period, promotions; a touch anywhere starts."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.screens.base import KioskScreen


class IdleScreen(KioskScreen):
    """Shown when nobody is ordering; forgets the previous diner."""

    canteen_name = StringProperty("")
    period = StringProperty("")
    promotions = StringProperty("")

    def on_touch_down(self, touch: Any) -> bool:
        """Any touch that no child claims starts a new order."""
        if super().on_touch_down(touch):
            return True
        if self.collide_point(*touch.pos):
            self.start()
            return True
        return False

    def start(self) -> None:
        """Begin the journey."""
        self.journey.start()
