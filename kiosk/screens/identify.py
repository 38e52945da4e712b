"""Identify: scan the member QR, tap a card, or continue as a guest; then the greeting."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.controllers.face_texts import T
from kiosk.screens.base import KioskScreen


class IdentifyScreen(KioskScreen):
    """Waits for a card tap or a QR code (the camera looks while this screen is up), or a guest."""

    prompt = StringProperty("")
    cards = BooleanProperty(True)  # the hub's card_reader_enabled switch (JourneyState.cards)
    _card_tile: Any = None
    _tiles: Any = None

    def on_cards(self, _screen: Any, on: bool) -> None:
        """Offer the card tile only while the card reader is on (it is put back in place)."""
        if self._card_tile is None:  # a strong reference: ids are weak, the grid forgets it
            self._card_tile = self.ids.card_tile.__self__
            self._tiles = self.ids.tiles.__self__
        tile, tiles = self._card_tile, self._tiles
        if on and tile.parent is None:
            tiles.add_widget(tile, index=len(tiles.children) - 1)  # between QR and face
        elif not on and tile.parent is not None:
            tiles.remove_widget(tile)

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
