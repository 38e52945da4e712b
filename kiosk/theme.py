"""Colours, sizes and the large-text mode of the diner screens (kv reads ``app.theme``)."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

LARGE_TEXT_SCALE = 1.3
"""How much bigger every font gets in large-text mode."""

TOUCH_MIN_DP = 48
"""The smallest touch target, in dp (a fingertip)."""

FONT_SIZES: dict[str, float] = {"s": 15, "m": 19, "l": 25, "xl": 36, "huge": 96}
"""Base font size per role in dp, before the large-text scale (kv: ``font_role``).

Plain numbers: calling ``dp()`` at import would open the window before its config is set.
"""

# RGBA colours: a warm canteen palette with strong contrast for text
BACKGROUND = (0.98, 0.96, 0.93, 1)
SURFACE = (1, 1, 1, 1)
PRIMARY = (0.80, 0.27, 0.13, 1)
PRIMARY_DARK = (0.60, 0.18, 0.08, 1)
ON_PRIMARY = (1, 1, 1, 1)
TEXT = (0.13, 0.11, 0.10, 1)
TEXT_MUTED = (0.40, 0.37, 0.34, 1)
ACCENT = (0.13, 0.52, 0.33, 1)
WARNING = (0.85, 0.55, 0.05, 1)
DANGER = (0.75, 0.11, 0.11, 1)
DISABLED = (0.75, 0.73, 0.70, 1)
TOP_BAR = (0.22, 0.19, 0.17, 1)
BADGE_COLOURS: dict[str, tuple[float, float, float, float]] = {
    "halal": (0.10, 0.50, 0.35, 1),
    "vegetarian": (0.30, 0.60, 0.15, 1),
    "vegan": (0.20, 0.55, 0.10, 1),
    "spicy": (0.85, 0.25, 0.10, 1),
    "very_spicy": (0.70, 0.05, 0.05, 1),
    "allergen": (0.55, 0.35, 0.00, 1),
}
"""Badge background per dietary tag; ``allergen`` is used for every allergen."""


def badge_colour(code: str) -> tuple[float, float, float, float]:
    """Background colour of a dietary or allergen badge."""
    return BADGE_COLOURS.get(code, (0.35, 0.35, 0.40, 1))


class Theme(EventDispatcher):
    """Font sizes and touch sizes, rescaled when the diner turns large text on."""

    font_name = StringProperty("Roboto")
    large_text = BooleanProperty(False)
    layout = StringProperty("grid")  # the menu as a grid of cards or a list (pushed setting)
    scale = NumericProperty(1.0)
    font_s = NumericProperty(0.0)
    font_m = NumericProperty(0.0)
    font_l = NumericProperty(0.0)
    font_xl = NumericProperty(0.0)
    font_huge = NumericProperty(0.0)
    touch = NumericProperty(0.0)
    button_h = NumericProperty(0.0)
    pad = NumericProperty(0.0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._apply()

    def on_large_text(self, _instance: object, value: bool) -> None:
        """Rescale every size when large-text mode changes."""
        self.scale = LARGE_TEXT_SCALE if value else 1.0
        self._apply()

    def _apply(self) -> None:
        s = self.scale
        self.font_s = dp(FONT_SIZES["s"]) * s
        self.font_m = dp(FONT_SIZES["m"]) * s
        self.font_l = dp(FONT_SIZES["l"]) * s
        self.font_xl = dp(FONT_SIZES["xl"]) * s
        self.font_huge = dp(FONT_SIZES["huge"]) * s
        self.touch = dp(TOUCH_MIN_DP)
        self.button_h = max(dp(TOUCH_MIN_DP), dp(56) * s)
        self.pad = dp(12)
