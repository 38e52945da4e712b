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
from kiosk.i18n import _, translate
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
    prep_title = StringProperty("")
    ready_title = StringProperty("")
    preparing = ListProperty([])
    ready = ListProperty([])

    def __init__(self, controller: PickupController, announcer: Announcer, font: str,
                 **kw: Any) -> None:
        self.controller, self.announcer = controller, announcer
        # Diners read the board: both languages on each column's title.
        prep, ready = _("Preparing"), _("Ready for pickup")
        super().__init__(font=font, prep_title=f"{prep.zh} {prep.en}",
                         ready_title=f"{ready.zh} {ready.en}", **kw)
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
        lang = "zh_Hans" if self.controller.config.language == "zh" else "en"
        self.banner = "" if status.connected else translate(lang, "Site broker lost")


Builder.load_file(str(KV))
