"""The Kivy application: one window, a root widget chosen by mode (diner, kds, pickup).

Other modes register their root widget factory in :data:`MODES`::

    from kiosk.app import register_mode

    @register_mode("kds")
    def build_kds(services, controllers) -> Widget: ...

Nothing Kivy-related happens at import of this module except importing Kivy's
pure-Python parts; the window is created by :func:`run_app` / :meth:`KioskApp.run`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

# Kivy parses sys.argv when first imported: the kiosk's own --config would make it fail.
os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.app import App
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.i18n import DEFAULT_LANGUAGE, translate
from kiosk.theme import Theme

log = logging.getLogger(__name__)

ModeFactory = Callable[[Any, Any], Widget]
"""Builds a mode's root widget from ``(services, controllers)``."""

MODES: dict[str, ModeFactory] = {}
"""Registered modes: ``diner`` here, ``kds`` and ``pickup`` from their own packages."""

MODE_MODULES: dict[str, str] = {"kds": "kiosk.kds", "pickup": "kiosk.pickup"}
"""Where a mode registers itself; imported on demand so the diner never loads them."""


def register_mode(name: str) -> Callable[[ModeFactory], ModeFactory]:
    """Decorator: make ``factory`` the root widget builder of mode ``name``."""

    def wrap(factory: ModeFactory) -> ModeFactory:
        MODES[name] = factory
        return factory

    return wrap


def mode_factory(name: str) -> ModeFactory:
    """The factory of mode ``name``, importing its package when needed."""
    if name not in MODES and name in MODE_MODULES:
        import importlib

        importlib.import_module(MODE_MODULES[name])
    if name not in MODES:
        raise KeyError(f"unknown kiosk mode {name!r}; known: {sorted(MODES)}")
    return MODES[name]


@register_mode("diner")
def build_diner(services: Any, controllers: Any) -> Widget:
    """The diner's journey: attract, identify, menu, detail, set meal, cart, done, feedback."""
    from kiosk.screens.root import DinerRoot

    return DinerRoot(services=services, controllers=controllers)


@register_mode("desk")
def build_desk(services: Any, controllers: Any) -> Widget:
    """The member desk's face enrolment station: the diner's screens, held on enrolment
    by its journey (``kiosk.controllers.desk``)."""
    return build_diner(services, controllers)


class KioskApp(App):
    """The kiosk window; kv reads ``app.lang``, ``app.theme`` and calls ``app.tr``."""

    lang = StringProperty(DEFAULT_LANGUAGE)
    theme = ObjectProperty(None)
    offline = BooleanProperty(False)

    def __init__(self, services: Any, controllers: Any, mode: str = "diner", **kw: Any) -> None:
        """Keep the wiring; the window is made in :meth:`build`."""
        self.theme = Theme()
        super().__init__(**kw)
        self.services = services
        self.controllers = controllers
        self.mode = mode
        self.title = "canteen-edge"

    def build(self) -> Widget:
        """Register fonts, load the shared kv rules and build the mode's root widget."""
        from kiosk.fonts import register_fonts
        from kiosk.screens import load_kv

        self.theme.font_name = register_fonts()
        load_kv()
        return mode_factory(self.mode)(self.services, self.controllers)

    def tr(self, message: str, lang: str) -> str:
        """``message`` (an English msgid) in ``lang``; kv passes ``app.lang`` to rebind."""
        try:
            return translate(lang, message)
        except OSError:  # a missing catalog must not break the screen: show the msgid
            log.warning("kiosk catalog for %r unreadable", lang)
            return message


def configure_window(windowed: bool, size: tuple[int, int] | None = None) -> None:
    """Fullscreen unless ``windowed``; must run before the window exists."""
    from kivy.config import Config

    if windowed:
        Config.set("graphics", "fullscreen", "0")
        if size:
            Config.set("graphics", "width", str(size[0]))
            Config.set("graphics", "height", str(size[1]))
    else:
        Config.set("graphics", "fullscreen", "auto")
    Config.set("kivy", "exit_on_escape", "0" if not windowed else "1")
    # no MSAA: flat rectangles and text gain nothing from it, and a software or small GPU
    # (Mesa llvmpipe here, a Pi's VideoCore) pays for every redraw: 100 ms -> 25 ms here
    Config.set("graphics", "multisamples", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")


def run_app(
    services: Any,
    controllers: Any,
    mode: str = "diner",
    windowed: bool = False,
    size: tuple[int, int] | None = (1280, 800),
) -> None:
    """Open the kiosk window in ``mode`` and run until it closes."""
    configure_window(windowed, size)
    KioskApp(services, controllers, mode=mode).run()
