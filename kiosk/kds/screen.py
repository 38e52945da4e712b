"""The kitchen display's root widget: thin; the controller decides, kv lays out."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from edge_agent.kitchen.link import LinkStatus
from kiosk.kds.controller import KdsController, labels
from kiosk.kds.portions import KdsPortions
from kiosk.kds.portions_view import PortionsPanel

log = logging.getLogger(__name__)
KV = Path(__file__).with_name("kds.kv")


class KdsCard(ButtonBehavior, BoxLayout):
    """One ticket; a tap bumps it."""

    font = StringProperty("Roboto")
    order_id = StringProperty("")
    station = StringProperty("")
    title = StringProperty("")
    station_text = StringProperty("")
    age_text = StringProperty("")
    level = StringProperty("fresh")
    items_text = StringProperty("")
    flags_text = StringProperty("")
    notes_text = StringProperty("")
    notes_lines = NumericProperty(0)
    selected = BooleanProperty(False)

    def on_release(self) -> None:
        """Bump this ticket through the root's controller."""
        root = self.parent.parent.parent.parent if self.parent else None
        if isinstance(root, KdsRoot):
            root.tap(self.order_id, self.station)


class KdsRoot(BoxLayout):
    """Banner, header, ticket grid, all-day panel and the three big buttons."""

    font = StringProperty("Roboto")
    banner = StringProperty("")
    title = StringProperty("")
    counts = StringProperty("")
    all_day_title = StringProperty("")
    cards = ListProperty([])
    all_day = ListProperty([])
    words = DictProperty({})

    def __init__(self, controller: KdsController, font: str, **kw: Any) -> None:
        self.controller = controller
        words = labels(controller.lang)
        super().__init__(font=font, words=words, title=words["title"],
                         all_day_title=words["all_day"], **kw)
        # Background threads only pull this trigger; bursts coalesce into one refresh.
        self.changed = Clock.create_trigger(lambda _dt: self.refresh())
        Clock.schedule_interval(lambda _dt: self.show(self.controller.view()), 1.0)
        Window.bind(on_key_down=self._on_key)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the tickets and show them."""
        self.show(self.controller.refresh())

    def show(self, view: Any) -> None:
        """Put a KdsView on screen."""
        for card in view.cards:
            card["font"] = self.font
        self.cards = view.cards
        self.counts = view.counts
        self.all_day = view.all_day
        self.banner = view.banner

    @mainthread
    def link_changed(self, status: LinkStatus) -> None:
        """The broker came or went: the banner changes at once."""
        self.controller.link = status
        self.banner = self.controller.banner()

    def action(self, key: str) -> None:
        """A button or bump-bar key."""
        if self.controller.key(key):
            self.refresh()

    def open_portions(self) -> PortionsPanel:
        """The portions panel: the meal's plan, record cooked and left over."""
        c = self.controller
        panel = PortionsPanel(KdsPortions(c.store, c.lang, c.now, ZoneInfo(c.config.timezone)),
                              self.font)
        panel.open()
        self.portions_panel = panel
        return panel

    def tap(self, order_id: str, station: str) -> None:
        """A touch on a card."""
        if self.controller.tap(order_id, station):
            self.refresh()

    def _on_key(self, _window: Any, _key: int, _scancode: int, codepoint: str | None,
                _mods: list[str]) -> bool:
        names = {13: "enter", 276: "left", 275: "right", 273: "up", 274: "down"}
        name = names.get(_key) or (codepoint or "")
        self.action(name)
        return False


Builder.load_file(str(KV))
