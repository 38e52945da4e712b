"""Set-meal builder: pick the dishes of each slot ("two meat + one veg + rice")."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.screens.base import KioskScreen
from kiosk.screens.widgets import sync_buttons


class SetMealScreen(KioskScreen):
    """Build-your-own set meal: slot progress, candidate dishes, what was chosen."""

    title = StringProperty("")
    price = StringProperty("")
    chosen = StringProperty("")
    candidates = ListProperty([])
    complete = BooleanProperty(False)
    slots = ListProperty([])
    current_slot = StringProperty("")
    last_pick = StringProperty("")

    def on_slots(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One tab per slot, showing how many are picked."""
        sync_buttons(self.ids.slot_row, rows, self.choose_slot)

    def choose_slot(self, code: str) -> None:
        """Show the candidates of another slot."""
        self.presenter.choose_slot(code)

    def pick(self, _kind: str, dish_id: str) -> None:
        """Add a dish to the slot being filled."""
        self.journey.pick_slot(self.current_slot, dish_id)

    def undo(self) -> None:
        """Take the last dish of this slot out again."""
        if self.last_pick:
            self.journey.unpick_slot(self.current_slot, self.last_pick)

    def add_to_cart(self) -> None:
        """Put the finished set meal in the cart."""
        self.journey.add_set_meal()

    def back(self) -> None:
        """Back to the menu."""
        self.journey.back_to_menu()
