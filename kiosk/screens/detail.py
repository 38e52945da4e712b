"""Dish detail: description, allergens, options (portion, spice, staple), notes and quantity."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.screens.base import KioskScreen
from kiosk.screens.widgets import FitLabel, KButton, sync_buttons


class DetailScreen(KioskScreen):
    """One dish being configured before it goes into the cart."""

    title = StringProperty("")
    subname = StringProperty("")
    description = StringProperty("")
    facts = StringProperty("")
    allergens = StringProperty("")
    origin = StringProperty("")  # supplier and lot date of the main ingredients (issue 17)
    option_groups = ListProperty([])
    quantity = NumericProperty(1)
    price = StringProperty("")
    note_chips = ListProperty([])
    weighed = BooleanProperty(False)
    busy = BooleanProperty(False)
    grams = StringProperty("")
    weight = StringProperty("")

    def on_option_groups(self, _instance: Any, groups: list[dict[str, Any]]) -> None:
        """A title and a row of choice buttons per option group (rebuilt per dish)."""
        box = self.ids.options
        box.clear_widgets()
        for group in groups:
            box.add_widget(FitLabel(text=group["text"], bold=True, size_hint_y=None,
                                    height=self.ids.qty_label.height * 0.8))
            row = BoxLayout(spacing=8, size_hint_y=None)
            for choice in group["choices"]:
                button = KButton(text=choice["text"], selected=choice["selected"])
                button.group, button.code = group["code"], choice["code"]
                button.bind(on_release=lambda b: self.choose(b.group, b.code))
                row.add_widget(button)
                row.height = button.height
            box.add_widget(row)

    def on_note_chips(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One toggle per quick note."""
        sync_buttons(self.ids.note_row, rows, self.toggle_note, font_role="m")

    def toggle_note(self, code: str) -> None:
        """Tick or untick a quick note for the kitchen."""
        self.presenter.toggle_note(code)

    def choose(self, group: str, choice: str) -> None:
        """Pick one choice of an option group."""
        self.journey.choose_option(group, choice)

    def change_quantity(self, delta: int) -> None:
        """One more or one fewer."""
        self.journey.change_quantity(delta)

    def weigh(self) -> None:
        """Read the settled weight of the plate on the scale (in the background)."""
        self.journey.weigh()

    def add_to_cart(self) -> None:
        """Put the configured dish in the cart."""
        self.journey.add_dish()

    def back(self) -> None:
        """Back to the menu without adding."""
        self.journey.back_to_menu()
