"""Feedback: five faces and a few quick tags, all optional."""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, NumericProperty, StringProperty

from kiosk.screens.base import KioskScreen
from kiosk.screens.widgets import FaceButton, sync_buttons


class FeedbackScreen(KioskScreen):
    """Rate 1-5 and tick quick tags; skipping is always fine."""

    rating = NumericProperty(0)
    faces = ListProperty([])
    tags = ListProperty([])
    thanks = StringProperty("")

    def on_faces(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """Five face buttons, worst to best."""
        sync_buttons(self.ids.face_row, rows, self.rate, key="score", cls=FaceButton, hfactor=1.8)

    def on_tags(self, _instance: Any, rows: list[dict[str, Any]]) -> None:
        """One toggle per quick tag."""
        sync_buttons(self.ids.tag_grid, rows, self.toggle_tag)

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
