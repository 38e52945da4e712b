"""Drives the real kiosk window: touches at widget centres, frames, screenshots, label checks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.tests.common import UnitTestTouch
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from tests.support.screenshots import publish_screenshot


class Driver:
    """One app, one window, reused by every screen test of the session."""

    def __init__(self, app: Any, kiosk: Any, sims: dict[str, Any], artifacts: Path) -> None:
        self.app = app
        self.artifacts = artifacts
        self.kiosk = kiosk
        self.journey = kiosk.journey
        self.sims = sims

    @property
    def root(self) -> Any:
        return self.app.root

    def screen(self, name: str | None = None) -> Any:
        return self.root.screen(name or self.root.manager.current)

    def pump(self, frames: int = 3) -> None:
        """Let Kivy run ``frames`` frames (clock, triggers, layout, drawing)."""
        for _ in range(frames):
            EventLoop.idle()

    def wait_until(self, cond: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Pump frames until ``cond()`` or the timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(1)
            if cond():
                return True
        return cond()

    def settle(self) -> None:
        """Enough frames for triggers, kv rebinds, layouts and label fitting to finish."""
        self.pump(6)

    def tap(self, widget: Widget) -> None:
        """A finger down and up at the widget's centre, through the window's input path."""
        assert widget.get_root_window() is not None, f"{widget} is not on screen"
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
        self.pump(2)

    def tap_id(self, wid: str, screen: str | None = None) -> None:
        """Tap the widget with kv id ``wid`` on a screen (or the root's top bar)."""
        where = self.screen(screen) if screen != "root" else self.root
        self.tap(where.ids[wid])

    def tap_text(self, text: str, under: Widget | None = None) -> None:
        """Tap the visible button whose text is ``text``."""
        self.settle()
        for w in walk(under or self.screen()):
            if isinstance(w, Label) and w.text == text and w.opacity > 0 and not w.disabled:
                self.tap(w)
                return
        raise AssertionError(f"no button {text!r} on {self.root.manager.current}")

    def card_for(self, kind: str, dish_id: str, under: Widget | None = None) -> Widget:
        """The dish or set-meal card on screen for ``dish_id``."""
        for w in walk(under or self.screen()):
            if getattr(w, "dish_id", None) == dish_id and getattr(w, "kind", None) == kind:
                return w
        shown = [(getattr(w, "kind", ""), getattr(w, "dish_id", "")) for w in walk(under or
                 self.screen()) if hasattr(w, "dish_id")]
        raise AssertionError(f"no {kind} card {dish_id!r} on {self.root.manager.current}: "
                             f"{shown[:8]}")

    def texts(self, under: Widget | None = None) -> list[str]:
        """Every visible label text, top to bottom."""
        return [w.text for w in walk(under or self.screen())
                if isinstance(w, Label) and w.text and w.opacity > 0]

    def screenshot(self, name: str, docs: bool = True) -> Path:
        """Save the window to the run's artifacts as <name>.png (published to the docs when
        refreshing them and `docs` is true)."""
        from kivy.core.window import Window

        self.settle()
        Window.canvas.ask_update()
        Window.dispatch("on_draw")  # read what was just drawn, not an undefined back buffer
        written = Path(Window.screenshot(name=str(self.artifacts / f"{name}.png")))
        target = self.artifacts / f"{name}.png"
        written.replace(target)  # Window.screenshot appends 0001 to the name
        if docs:
            publish_screenshot(target)
        return target


def walk(widget: Widget) -> Iterator[Widget]:
    """The widget and all its descendants (visible tree only)."""
    yield widget
    for child in reversed(widget.children):
        yield from walk(child)


def overflowing_labels(widget: Widget) -> list[str]:
    """Labels whose rendered text is taller or wider than their box, with where they are."""
    bad = []
    for w in walk(widget):
        if not isinstance(w, Label) or not w.text or w.opacity == 0 or w.height <= 1:
            continue
        tw, th = w.texture_size
        broken = bool(getattr(w, "breaks_a_word", lambda: False)())
        if tw > w.width + 1 or th > w.height + 1 or broken:
            bad.append(f"{type(w).__name__} {w.text!r}: text {tw}x{th} in box "
                       f"{w.width:.0f}x{w.height:.0f}")
    return bad


def small_touch_targets(widget: Widget, min_px: float) -> list[str]:
    """Buttons smaller than a fingertip."""
    from kivy.uix.behaviors import ButtonBehavior

    return [f"{type(w).__name__} {getattr(w, 'text', '')!r} {w.width:.0f}x{w.height:.0f}"
            for w in walk(widget)
            if isinstance(w, ButtonBehavior) and w.opacity > 0 and not w.disabled
            and (w.width < min_px - 0.5 or w.height < min_px - 0.5)]


def escaping_card_parts(widget: Widget) -> list[str]:
    """Parts of a dish card (badges, prices) drawn outside the card."""
    from kiosk.screens.widgets import DishCard

    bad = []
    for card in walk(widget):
        if not isinstance(card, DishCard):
            continue
        x0, y0 = card.to_window(card.x, card.y)
        x1, y1 = x0 + card.width, y0 + card.height
        for part in walk(card):
            if part is card or part.opacity == 0 or part.width <= 1 or part.height <= 1:
                continue
            px, py = part.to_window(part.x, part.y)
            if px < x0 - 1 or py < y0 - 1 or px + part.width > x1 + 1 or py + part.height > y1 + 1:
                bad.append(f"{type(part).__name__} {getattr(part, 'text', '')!r} outside card "
                           f"{card.name!r}")
    return bad
