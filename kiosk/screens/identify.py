"""Identify: scan the member QR, tap a card, or continue as a guest; then the greeting."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.screens.base import KioskScreen


class IdentifyScreen(KioskScreen):
    """Waits for a card tap or a QR code; shows the member's greeting once known."""

    prompt = StringProperty("")
    greeting = StringProperty("")
    details = StringProperty("")
    offer = StringProperty("")
    identified = BooleanProperty(False)
    scanning = BooleanProperty(False)

    def scan_qr(self) -> None:
        """Turn the camera on for a member QR code."""
        self.controllers.journey.scan_qr()

    def continue_as_guest(self) -> None:
        """Order without identifying."""
        self.controllers.journey.continue_as_guest()

    def to_menu(self) -> None:
        """Leave the greeting for the menu."""
        self.controllers.journey.to_menu()
