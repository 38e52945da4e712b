"""Done: the order number, when it will be ready, whether the receipt printed."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.screens.base import KioskScreen


class DoneScreen(KioskScreen):
    """Shows the placed order; a printer fault is said plainly."""

    order_no = StringProperty("")
    ready = StringProperty("")
    receipt = StringProperty("")
    receipt_ok = BooleanProperty(True)
    pay_note = StringProperty("")

    def to_feedback(self) -> None:
        """Go on to the optional feedback."""
        self.journey.give_feedback()

    def finish(self) -> None:
        """Done; back to the attract screen."""
        self.journey.finish()
