"""Shared widgets of the diner screens: fitting labels, big buttons, badges, dish cards, banners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.metrics import dp
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
    """A wrapping label that shrinks its font until the text fits its box (long dish names).

    When even ``min_shrink`` of the base size does not fit and ``ellipsize`` is set, the
    text is cut to one line ending in "…" (the detail screen shows it in full).
    """

    base_font_size = NumericProperty(0.0)
    font_role = StringProperty("m")
    font_scale = NumericProperty(1.0)
    hpad = NumericProperty(0.0)
    min_shrink = NumericProperty(MIN_SHRINK)
    ellipsize = BooleanProperty(False)

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
        if self.ellipsize:
            self.shorten = False
        self._fit_trigger()

    def _check(self, *_args: Any) -> None:
        self._fit_trigger()

    def overflows(self) -> bool:
        """True when the text is taller or wider than the box, or a Latin word gets broken."""
        tw, th = self.texture_size
        return th > self.height + 1 or tw > self.width + 1 or self.breaks_a_word()

    def breaks_a_word(self) -> bool:
        """True when a Latin word is wider than the line, so Kivy would cut it in two."""
        if self.shorten:
            return False
        room = self.width - self.hpad - self.padding[0] * 2
        return any(word.isascii() and self._label.get_extents(word)[0] > room
                   for word in self.text.split())

    def _fit(self, *_args: Any) -> None:
        if not self.text or not self.base_font_size:
            return
        if not self.overflows():
            return
        smallest = self.base_font_size * self.min_shrink
        if self.font_size > smallest + 0.01:
            self.font_size = max(smallest, self.font_size * 0.9)
        elif self.ellipsize and not self.shorten:
            self.shorten = True


class KButton(ButtonBehavior, FitLabel):
    """A large touch button (at least 48 dp high) with a coloured background."""

    bg = ListProperty([0.8, 0.27, 0.13, 1])
    fg = ListProperty([1, 1, 1, 1])
    selected = BooleanProperty(False)
    hfactor = NumericProperty(1.0)
    compact = BooleanProperty(False)
    key = ObjectProperty(None, allownone=True)


class FaceButton(KButton):
    """A rating button with a drawn face (frown to smile) above its label."""

    score = NumericProperty(3)

    def on_key(self, _instance: Any, key: Any) -> None:
        """The row key of a face button is its score, 1 to 5."""
        self.score = int(key or 3)


def sync_buttons(box: Any, rows: list[dict[str, Any]], action: Callable[[Any], None],
                 key: str = "code", cls: type[KButton] = KButton, **button_kw: Any) -> None:
    """One button per row in ``box``, reusing the buttons already there (taps stay cheap)."""
    buttons = list(reversed(box.children))
    if len(buttons) != len(rows):
        box.clear_widgets()
        buttons = []
        for _ in rows:
            button = cls(**button_kw)
            button.bind(on_release=lambda b: action(b.key))
            box.add_widget(button)
            buttons.append(button)
    for button, row in zip(buttons, rows, strict=True):
        button.key = row[key]
        button.text = row["text"]
        button.selected = row.get("selected", False)


def sync_rows(box: Any, rows: list[dict[str, Any]], factory: Callable[..., Any]) -> None:
    """One ``factory(**row)`` widget per row in ``box``, updating existing ones in place."""
    widgets = list(reversed(box.children))
    if len(widgets) != len(rows):
        box.clear_widgets()
        for row in rows:
            box.add_widget(factory(**row))
        return
    for widget, row in zip(widgets, rows, strict=True):
        for name, value in row.items():
            setattr(widget, name, value)


class Badge(Label):
    """A small coloured pill sized to its one-line text (dietary tag or allergen)."""

    bg = ListProperty([0.35, 0.35, 0.4, 1])


class BadgeRow(BoxLayout):
    """One line of badges; those that do not fit are summed up in a last "+N" badge."""

    items = ListProperty([])

    def __init__(self, **kwargs: Any) -> None:
        self._rebuild_trigger = Clock.create_trigger(self._rebuild, -1)
        super().__init__(**kwargs)
        self.bind(items=self._rebuild_trigger, width=self._rebuild_trigger)

    def _rebuild(self, *_args: Any) -> None:
        pool = list(reversed(self.children))  # reuse badge widgets: recycled cards call often
        self.clear_widgets()
        used = 0.0
        items = list(self.items)
        for i, item in enumerate(items):
            badge = pool.pop(0) if pool else Badge()
            badge.text, badge.bg = item["text"], item["bg"]
            badge.texture_update()
            width = badge.texture_size[0] + dp(14)
            more = len(items) - i - 1
            reserve = dp(40) if more else 0.0
            if used + width + reserve > self.width:
                badge.text = f"+{len(items) - i}"
                self.add_widget(badge)
                break
            self.add_widget(badge)
            used += width + self.spacing


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
        """Hand the badges to the one-line badge row."""
        row = self.ids.get("badge_row")
        if row is not None:
            row.items = badges

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
