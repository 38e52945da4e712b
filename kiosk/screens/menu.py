"""Menu: categories, dietary filters, recommended row, dish and set-meal cards, cart summary."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.screens.base import KioskScreen
from kiosk.screens.widgets import sync_buttons


class MenuScreen(KioskScreen):
    """The current meal period's menu: the presenter fills the lists, taps go to the journey."""

    member_line = StringProperty("")
    period = StringProperty("")
    categories = ListProperty([])
    filters = ListProperty([])
    dishes = ListProperty([])
    recommended = ListProperty([])
    rec_reason = StringProperty("")
    weight = StringProperty("")
    hidden = StringProperty("")
    rate_previous = BooleanProperty(False)
    booking_text = StringProperty("")  # "pick up your booking" when the member has one now
    cart_summary = StringProperty("")
    empty_text = StringProperty("")

    def on_categories(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One big button per category (a handful, rebuilt when the menu changes)."""
        sync_buttons(self.ids.category_list, rows, self.choose_category, font_role="m")

    def on_filters(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One toggle button per dietary filter."""
        sync_buttons(self.ids.filter_row, rows, self.toggle_filter, font_role="m")

    def choose_category(self, code: str) -> None:
        """Show one category."""
        self.presenter.choose_category(code)

    def toggle_filter(self, code: str) -> None:
        """Turn a dietary filter on or off."""
        self.journey.toggle_filter(code)

    def pick(self, kind: str, item_id: str) -> None:
        """A dish or set-meal card was touched."""
        if kind == "set":
            self.journey.open_set_meal(item_id)
        else:
            self.journey.open_dish(item_id)

    def open_cart(self) -> None:
        """Go to the cart."""
        self.journey.open_cart()

    def pick_up_booking(self) -> None:
        """Hand over the member's pre-booked meal."""
        self.journey.pick_up_booking()

    def rate_previous_meal(self) -> None:
        """Rate the member's previous meal first."""
        self.journey.rate_previous_meal()
