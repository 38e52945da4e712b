"""Cart and checkout: edit lines, the payment split line by line, confirm."""

from __future__ import annotations

from typing import Any

from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout

from kiosk.screens.base import KioskScreen
from kiosk.screens.widgets import sync_rows


class CartLine(BoxLayout):
    """One cart line: what, how many, amount, − / + (a set meal: its dishes below, − only)."""

    line_id = StringProperty("")
    text = StringProperty("")
    detail = StringProperty("")
    amount = StringProperty("")
    qty = NumericProperty(1)
    countable = BooleanProperty(True)
    extra_rows = NumericProperty(0)  # sub-lines beyond the first (a set meal's dishes)
    on_change = ObjectProperty(None, allownone=True)

    def change(self, delta: int) -> None:
        """Pass − / + to the cart screen."""
        if self.on_change is not None:
            self.on_change(self.line_id, self.qty + delta)


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
    is_member = BooleanProperty(False)
    coupon = StringProperty("")
    has_coupon = BooleanProperty(False)
    use_points = BooleanProperty(False)

    def on_lines(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One CartLine per row."""
        sync_rows(self.ids.line_list, [{**row, "on_change": self.change_quantity} for row in rows],
                  CartLine)

    def on_split(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One SplitRow per payment source."""
        sync_rows(self.ids.split_list, rows, SplitRow)

    def change_quantity(self, line_id: str, qty: int) -> None:
        """A line's new quantity (zero removes it)."""
        self.journey.set_line_quantity(line_id, qty)

    def toggle_points(self) -> None:
        """Pay with points, or not."""
        self.journey.use_points(not self.use_points)

    def remove_coupon(self) -> None:
        """Take the scanned coupon off the order."""
        self.journey.remove_coupon()

    def confirm(self) -> None:
        """Place the order."""
        self.journey.checkout()

    def back(self) -> None:
        """Back to the menu."""
        self.journey.back_to_menu()
