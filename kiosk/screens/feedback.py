"""Feedback: five faces, a few quick tags, and a row of stars per dish; all optional."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.screens.base import KioskScreen
from kiosk.screens.widgets import FaceButton, sync_buttons, sync_rows

STARS = (1, 2, 3, 4, 5)


class DishRatingRow(BoxLayout):
    """A dish of the order and five star buttons; the screen passes taps to the journey."""

    dish_id = StringProperty("")
    name = StringProperty("")
    rating = NumericProperty(0)

    def on_kv_post(self, _base: Any) -> None:
        """Five buttons once the row's layout exists."""
        self._sync()

    def on_rating(self, _instance: Any, _value: Any) -> None:
        """Highlight the stars up to the rating."""
        self._sync()

    def _sync(self) -> None:
        if "stars" not in self.ids:
            return
        rows = [{"code": n, "text": "★" if n <= self.rating else "☆",
                 "selected": n <= self.rating} for n in STARS]
        sync_buttons(self.ids.stars, rows, self._tap, compact=True)

    def _tap(self, score: int) -> None:
        screen = self.parent
        while screen is not None and not isinstance(screen, FeedbackScreen):
            screen = screen.parent
        if screen is not None:
            screen.rate_dish(self.dish_id, score)


class FeedbackScreen(KioskScreen):
    """Rate 1-5 and tick quick tags; skipping is always fine."""

    rating = NumericProperty(0)
    faces = ListProperty([])
    tags = ListProperty([])
    dishes = ListProperty([])
    dishes_rated = BooleanProperty(False)
    thanks = StringProperty("")

    def on_faces(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """Five face buttons, worst to best."""
        sync_buttons(self.ids.face_row, rows, self.rate, key="score", cls=FaceButton, hfactor=1.8)

    def on_tags(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One toggle per quick tag."""
        sync_buttons(self.ids.tag_grid, rows, self.toggle_tag)

    def on_dishes(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One row of stars per dish of the order."""
        sync_rows(self.ids.dish_box, rows, DishRatingRow)

    def rate_dish(self, dish_id: str, score: int) -> None:
        """Rate one dish."""
        self.journey.rate_dish(dish_id, score)

    def rate(self, score: int) -> None:
        """Choose a face."""
        self.journey.rate(score)

    def toggle_tag(self, code: str) -> None:
        """Tick or untick a quick tag."""
        self.journey.toggle_tag(code)

    def submit(self) -> None:
        """Send the feedback."""
        self.journey.submit_feedback()

    def skip(self) -> None:
        """Leave without feedback."""
        self.journey.finish()
