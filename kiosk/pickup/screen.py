"""The pickup board's root widget: two columns, thin over PickupController."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from edge_agent.kitchen.link import LinkStatus
from kiosk.kds.words import both, word
from kiosk.pickup.controller import Announcer, PickupController

KV = Path(__file__).with_name("pickup.kv")


class PickupNumber(Label):
    """One order number; the newest ready ones are highlighted."""

    font = StringProperty("Roboto")
    highlight = BooleanProperty(False)


class PickupRoot(BoxLayout):
    """Preparing | Ready, in Chinese and English."""

    font = StringProperty("Roboto")
    banner = StringProperty("")
    prep_title = StringProperty(both("preparing"))
    ready_title = StringProperty(both("ready"))
    preparing = ListProperty([])
    ready = ListProperty([])

    def __init__(self, controller: PickupController, announcer: Announcer, font: str,
                 **kw: Any) -> None:
        self.controller, self.announcer = controller, announcer
        super().__init__(font=font, **kw)
        self.changed = Clock.create_trigger(lambda _dt: self.refresh())
        # Ready numbers also leave the board with time, not only with events.
        Clock.schedule_interval(lambda _dt: self.refresh(), 5.0)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the board and show it; announce numbers that just became ready."""
        view = self.controller.refresh()
        self.preparing = [{**r, "font": self.font} for r in view.preparing]
        self.ready = [{**r, "font": self.font} for r in view.ready]
        for number in view.newly_ready:
            self.announcer.announce(number)

    @mainthread
    def link_changed(self, status: LinkStatus) -> None:
        """Show at once when the site broker is lost."""
        lang = self.controller.config.language
        self.banner = "" if status.connected else word("lost", lang)


Builder.load_file(str(KV))
