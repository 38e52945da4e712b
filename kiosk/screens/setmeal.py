"""Set-meal builder: pick the dishes of each slot ("two meat + one veg + rice")."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.screens.base import KioskScreen


class SetMealScreen(KioskScreen):
    """Build-your-own set meal: slot progress, candidate dishes, what was chosen."""

    name = StringProperty("")
    price = StringProperty("")
    progress = StringProperty("")
    chosen = StringProperty("")
    candidates = ListProperty([])
    complete = BooleanProperty(False)
    error = StringProperty("")

    def pick(self, _kind: str, dish_id: str) -> None:
        """Add a dish to the slot it belongs to."""
        self.controllers.setmeal.pick(dish_id)

    def undo(self) -> None:
        """Remove the last dish chosen."""
        self.controllers.setmeal.undo()

    def add_to_cart(self) -> None:
        """Put the finished set meal in the cart."""
        self.controllers.setmeal.add_to_cart()

    def back(self) -> None:
        """Back to the menu."""
        self.controllers.journey.back()

    def on_candidates(self, _instance: Any, _rows: list[dict[str, Any]]) -> None:
        """Nothing: the RecycleView reads the rows (kept for symmetry with the menu)."""
