"""Cart and checkout: edit lines, the payment split line by line, confirm."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.screens.base import KioskScreen


class CartLine(BoxLayout):
    """One cart line: what, how many, amount, and − / + buttons."""

    line_id = StringProperty("")
    text = StringProperty("")
    detail = StringProperty("")
    amount = StringProperty("")
    on_change = ObjectProperty(None, allownone=True)

    def change(self, delta: int) -> None:
        """Pass − / + to the cart screen."""
        if self.on_change is not None:
            self.on_change(self.line_id, delta)


class SplitRow(BoxLayout):
    """One line of the payment split (subsidy, coupon, points, stored value, to pay)."""

    text = StringProperty("")
    amount = StringProperty("")
    strong = BooleanProperty(False)


class CartScreen(KioskScreen):
    """The order before it is placed; the presenter fills lines and the split."""

    lines = ListProperty([])
    split = ListProperty([])
    total = StringProperty("")
    note = StringProperty("")
    error = StringProperty("")
    can_confirm = BooleanProperty(False)

    def on_lines(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One CartLine per row."""
        box = self.ids.line_list
        box.clear_widgets()
        for row in rows:
            box.add_widget(CartLine(on_change=self.change_quantity, **row))

    def on_split(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One SplitRow per payment source."""
        box = self.ids.split_list
        box.clear_widgets()
        for row in rows:
            box.add_widget(SplitRow(**row))

    def change_quantity(self, line_id: str, delta: int) -> None:
        """One more or one fewer of a line (zero removes it)."""
        self.controllers.cart.change_quantity(line_id, delta)

    def confirm(self) -> None:
        """Place the order."""
        self.controllers.cart.confirm()

    def back(self) -> None:
        """Back to the menu."""
        self.controllers.journey.back()
