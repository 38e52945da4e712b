"""Fills the screens from controller state; placeholder until the journey controller lands."""

from __future__ import annotations

from typing import Any

from kivy.app import App


class Presenter:
    """Maps controller state to screen properties on the main thread."""

    def __init__(self, root: Any, controllers: Any, services: Any) -> None:
        """Remember the root and the controllers."""
        self.root = root
        self.controllers = controllers
        self.services = services

    def start(self) -> None:
        """Subscribe to the controllers."""

    def set_language(self, lang: str) -> None:
        """Switch the language."""
        App.get_running_app().lang = lang

    def toggle_large_text(self) -> None:
        """Flip large text."""
        theme = App.get_running_app().theme
        theme.large_text = not theme.large_text

    def start_over(self) -> None:
        """Back to idle."""
        self.root.show("idle")

    def touched(self) -> None:
        """Activity."""
