"""The diner root: top bar (language, large text, start over), offline banner, screens, toast."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.screens.cart import CartScreen
from kiosk.screens.detail import DetailScreen
from kiosk.screens.done import DoneScreen
from kiosk.screens.face import FaceScreen
from kiosk.screens.feedback import FeedbackScreen
from kiosk.screens.identify import IdentifyScreen
from kiosk.screens.idle import IdleScreen
from kiosk.screens.menu import MenuScreen
from kiosk.screens.setmeal import SetMealScreen

SCREENS = {
    "idle": IdleScreen,
    "identify": IdentifyScreen,
    "menu": MenuScreen,
    "detail": DetailScreen,
    "setmeal": SetMealScreen,
    "cart": CartScreen,
    "done": DoneScreen,
    "feedback": FeedbackScreen,
    "face": FaceScreen,  # face-ID: identify and enrol (issue 18)
}
"""Screen name -> class; names match the journey controller's steps."""

TOAST_SECONDS = 4.0


class DinerRoot(FloatLayout):
    """Owns the ScreenManager; the presenter fills it from controller state on the main thread."""

    canteen_name = StringProperty("")
    offline_text = StringProperty("")
    toast_text = StringProperty("")
    at_idle = BooleanProperty(True)
    services = ObjectProperty(None, allownone=True)
    controllers = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: Any) -> None:
        """Create the screens and start listening to the controllers."""
        super().__init__(**kwargs)
        manager: ScreenManager = self.ids.manager
        manager.transition = NoTransition()  # instant: every tap answered at once
        for name, cls in SCREENS.items():
            manager.add_widget(cls(name=name))
        self._toast_clear = Clock.create_trigger(self._clear_toast, TOAST_SECONDS)
        from kiosk.screens.presenter import Presenter

        self.presenter = Presenter(self, self.controllers, self.services)
        self.presenter.start()
        from kiosk.screens.diagnostics import attach_remote

        # the fleet's remote commands and pushed settings (kiosk.controllers.remote)
        self.remote = attach_remote(self)

    @property
    def manager(self) -> ScreenManager:
        """The screen manager."""
        return self.ids.manager

    def screen(self, name: str) -> Any:
        """The screen called ``name``."""
        return self.manager.get_screen(name)

    def show(self, name: str) -> None:
        """Switch to screen ``name`` (no-op when already there)."""
        if self.manager.current != name:
            self.manager.current = name
            self.presenter.screen_shown(name)
        self.at_idle = name == "idle"

    def toast(self, text: str) -> None:
        """Show a friendly message for a few seconds."""
        self.toast_text = text
        self._toast_clear.cancel()
        self._toast_clear()

    def _clear_toast(self, _dt: float) -> None:
        self.toast_text = ""
        journey = getattr(self.presenter, "journey", None)
        if journey is not None:
            journey.dismiss_message()  # read: it must not come back with the next redraw

    def set_language(self, lang: str) -> None:
        """The diner chose a language."""
        self.presenter.set_language(lang)

    def toggle_large_text(self) -> None:
        """The diner turned large text on or off."""
        self.presenter.toggle_large_text()

    def start_over(self) -> None:
        """Forget this diner and go back to the attract screen."""
        self.presenter.start_over()

    def on_touch_down(self, touch: Any) -> bool:
        """Every touch counts as activity for the idle timer."""
        self.presenter.touched()
        return bool(super().on_touch_down(touch))

    @staticmethod
    def app() -> Any:
        """The running KioskApp."""
        return App.get_running_app()
