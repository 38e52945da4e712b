"""Identify: scan the member QR, tap a card, or continue as a guest; then the greeting."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.controllers.face_texts import T
from kiosk.screens.base import KioskScreen


class IdentifyScreen(KioskScreen):
    """Waits for a card tap or a QR code (the camera looks while this screen is up), or a guest."""

    prompt = StringProperty("")

    def continue_as_guest(self) -> None:
        """Order without identifying."""
        self.journey.identify("guest")

    @staticmethod
    def face_text(key: str, lang: str) -> str:
        """A face-ID label in the diner's language (kiosk.controllers.face_texts)."""
        return T[key].in_lang(lang)

    def open_face(self) -> None:
        """Identify by face (a message says so when this kiosk cannot)."""
        self.journey.open_face()

    def open_face_enrol(self) -> None:
        """Set up Face ID: QR/card, consent, a few frames."""
        self.journey.open_face_enrol()
