"""Shared widgets of the diner screens: fitting labels, big buttons, badges, dish cards, banners."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior

MIN_SHRINK = 0.6
"""A label shrinks its font down to this fraction of its base size before giving up."""


class FitLabel(Label):
    """A wrapping label that shrinks its font until the text fits its box (long dish names)."""

    base_font_size = NumericProperty(0.0)

    def __init__(self, **kwargs: Any) -> None:
        self._fit_trigger = Clock.create_trigger(self._fit, -1)
        super().__init__(**kwargs)
        self.bind(
            size=self._refit,
            text=self._refit,
            base_font_size=self._refit,
            texture_size=self._check,
        )

    def _refit(self, *_args: Any) -> None:
        """Start again from the base size when the text or the box changes."""
        if self.base_font_size:
            self.font_size = self.base_font_size
        self._fit_trigger()

    def _check(self, *_args: Any) -> None:
        self._fit_trigger()

    def overflows(self) -> bool:
        """True when the rendered text is taller or wider than the box."""
        tw, th = self.texture_size
        return th > self.height + 1 or tw > self.width + 1

    def _fit(self, *_args: Any) -> None:
        if not self.text or not self.base_font_size:
            return
        if self.overflows() and self.font_size > self.base_font_size * MIN_SHRINK:
            self.font_size = max(self.base_font_size * MIN_SHRINK, self.font_size * 0.9)


class KButton(ButtonBehavior, FitLabel):
    """A large touch button (at least 48 dp high) with a coloured background."""

    bg = ListProperty([0.8, 0.27, 0.13, 1])
    fg = ListProperty([1, 1, 1, 1])
    selected = BooleanProperty(False)


class Badge(Label):
    """A small coloured pill sized to its one-line text (dietary tag or allergen)."""

    bg = ListProperty([0.35, 0.35, 0.4, 1])


class DishCard(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One dish on the menu: names, price, member price, badges, kcal, sold-out veil."""

    dish_id = StringProperty("")
    kind = StringProperty("dish")
    name = StringProperty("")
    subname = StringProperty("")
    price = StringProperty("")
    member_price = StringProperty("")
    kcal = StringProperty("")
    badges = ListProperty([])
    sold_out = BooleanProperty(False)
    sold_out_text = StringProperty("")
    weighed = BooleanProperty(False)
    on_pick = ObjectProperty(None, allownone=True)

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> Any:
        """Fill the recycled card from one row of the menu's data."""
        self.badges = []
        return super().refresh_view_attrs(rv, index, data)

    def on_badges(self, _instance: Any, badges: list[dict[str, Any]]) -> None:
        """Rebuild the badge row (a handful of labels)."""
        row = self.ids.get("badge_row")
        if row is None:
            return
        row.clear_widgets()
        for b in badges:
            row.add_widget(Badge(text=b["text"], bg=b["bg"]))

    def on_release(self) -> None:
        """Tell the menu which dish was touched."""
        if self.on_pick is not None and not self.sold_out:
            self.on_pick(self.kind, self.dish_id)


class BannerBar(BoxLayout):
    """A full-width coloured strip with one line of text (offline, printer fault)."""

    text = StringProperty("")
    bg = ListProperty([0.85, 0.55, 0.05, 1])


class Toast(FitLabel):
    """A friendly message that floats over the screen for a few seconds."""

    bg = ListProperty([0.13, 0.11, 0.10, 0.92])
