"""Feedback: five faces and a few quick tags, all optional."""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, NumericProperty, StringProperty

from kiosk.screens.base import KioskScreen
from kiosk.screens.widgets import KButton


class FeedbackScreen(KioskScreen):
    """Rate 1-5 and tick quick tags; skipping is always fine."""

    rating = NumericProperty(0)
    faces = ListProperty([])
    tags = ListProperty([])
    thanks = StringProperty("")

    def on_faces(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """Five face buttons, worst to best."""
        box = self.ids.face_row
        box.clear_widgets()
        for row in rows:
            button = KButton(text=row["text"], selected=row["selected"], hfactor=1.6)
            button.score = row["score"]
            button.bind(on_release=lambda b: self.rate(b.score))
            box.add_widget(button)

    def on_tags(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One toggle per quick tag."""
        box = self.ids.tag_grid
        box.clear_widgets()
        for row in rows:
            button = KButton(text=row["text"], selected=row["selected"])
            button.code = row["code"]
            button.bind(on_release=lambda b: self.toggle_tag(b.code))
            box.add_widget(button)

    def rate(self, score: int) -> None:
        """Choose a face."""
        self.presenter.guarded(lambda: self.journey.done.rate(score))

    def toggle_tag(self, code: str) -> None:
        """Tick or untick a quick tag."""
        self.presenter.guarded(lambda: self.journey.done.toggle_tag(code))

    def submit(self) -> None:
        """Send the feedback."""
        self.journey.submit_feedback()

    def skip(self) -> None:
        """Leave without feedback."""
        self.journey.finish()
