"""What every diner screen shares: the journey controller and the presenter."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen


class KioskScreen(Screen):
    """A thin screen: kv lays it out, the presenter fills its properties, taps go to controllers."""

    @property
    def presenter(self) -> Any:
        """The presenter of the diner root."""
        return App.get_running_app().root.presenter

    @property
    def journey(self) -> Any:
        """The journey controller, the diner screens' single entry point."""
        return self.presenter.journey
