"""Identify: scan the member QR, tap a card, or continue as a guest; then the greeting."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.screens.base import KioskScreen


class IdentifyScreen(KioskScreen):
    """Waits for a card tap or a QR code (the camera looks while this screen is up), or a guest."""

    prompt = StringProperty("")

    def continue_as_guest(self) -> None:
        """Order without identifying."""
        self.journey.identify("guest")
