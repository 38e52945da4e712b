"""What every diner screen shares: access to the app, its controllers and the current language."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen


class KioskScreen(Screen):
    """A thin screen: kv lays it out, the presenter fills its properties, taps go to controllers."""

    @property
    def controllers(self) -> Any:
        """The controllers the app was started with."""
        return App.get_running_app().controllers

    @property
    def lang(self) -> str:
        """The language the diner chose."""
        return str(App.get_running_app().lang)
