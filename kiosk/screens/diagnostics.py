"""The diagnostics screen a technician opens from the hub (``open_diagnostics``), and the
wiring of the kiosk's fleet link (remote commands, pushed settings) into the diner window.

An overlay over whatever the kiosk shows (it only opens at the attract screen): device,
site, versions, broker, outbox, printer, scanner, card reader and scale (a device the hub's
settings switched off reads "Disabled by config"), in the kiosk's language, refreshed every
second; it closes on its button or after the idle reset.
"""

from __future__ import annotations

import time
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import ListProperty, StringProperty
from kivy.uix.modalview import ModalView

from kiosk.controllers.remote import DiagRow, RemoteLink

POLL_SECONDS = 1.0


class DiagnosticsView(ModalView):
    """The diagnostics overlay; ``rows`` are (key, label, value, state) in the shown language."""

    rows = ListProperty([])
    lang = StringProperty("zh_Hans")
    updated = StringProperty("")

    def __init__(self, remote: RemoteLink, **kwargs: Any) -> None:
        """Not shown until :meth:`show`."""
        kwargs.setdefault("auto_dismiss", False)
        super().__init__(**kwargs)
        self.remote = remote
        self._refresh_ev: Any = None
        self._opened_at = 0.0
        self.shown = False

    def show(self) -> bool:
        """Open (or refresh) in the kiosk's current language."""
        app = App.get_running_app()
        self.lang = getattr(app, "lang", "zh_Hans")
        self._opened_at = time.monotonic()
        self.refresh()
        if not self.shown:
            self.open(animation=False)
            self.shown = True
            self._refresh_ev = Clock.schedule_interval(self._tick, POLL_SECONDS)
        return True

    def set_lang(self, lang: str) -> None:
        """The technician switched language on the screen."""
        self.lang = lang
        self._opened_at = time.monotonic()
        self.refresh()

    def refresh(self) -> None:
        """Read every figure again."""
        self.rows = [_row(r, self.lang) for r in self.remote.diagnostics()]
        self.updated = time.strftime("%H:%M:%S")
        box = self.ids.list
        if len(box.children) != len(self.rows):
            box.clear_widgets()
            for _ in self.rows:
                box.add_widget(Factory.DiagRowView())
        for widget, row in zip(reversed(box.children), self.rows, strict=True):
            for name, value in row.items():
                setattr(widget, name, value)

    def _tick(self, _dt: float) -> None:
        idle_s = float(self.remote.s.config.idle_seconds)
        if time.monotonic() - self._opened_at >= idle_s:
            self.close()
            return
        self.refresh()

    def on_touch_down(self, touch: Any) -> bool:
        """Any touch keeps it open another idle period."""
        self._opened_at = time.monotonic()
        return bool(super().on_touch_down(touch))

    def close(self) -> None:
        """Back to the attract screen."""
        if self._refresh_ev is not None:
            self._refresh_ev.cancel()
            self._refresh_ev = None
        if self.shown:
            self.dismiss(animation=False)
            self.shown = False


def _row(row: DiagRow, lang: str) -> dict[str, Any]:
    state = "neutral" if row.ok is None else ("ok" if row.ok else "problem")
    return {"key": row.key, "label": row.label.in_lang(lang), "value": row.value.in_lang(lang),
            "state": state}


def attach_remote(root: Any) -> RemoteLink | None:
    """Give the diner window its fleet link: polled every second, diagnostics on screen."""
    journey = getattr(root.presenter, "journey", None)
    if journey is None or not hasattr(journey, "s"):
        return None
    remote = RemoteLink(journey)
    view = DiagnosticsView(remote)
    remote.show_diagnostics = view.show
    app = App.get_running_app()

    def layout_changed(layout: str) -> None:
        if app is not None and hasattr(app.theme, "layout"):
            app.theme.layout = layout

    remote.layout_changed = layout_changed
    root.diagnostics = view
    root.remote_tick = Clock.schedule_interval(lambda _dt: remote.poll(), POLL_SECONDS)
    return remote
