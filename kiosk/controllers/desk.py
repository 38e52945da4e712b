"""The member desk's face enrolment station (``canteen-kiosk --mode desk``).

A terminal at the service desk with a USB webcam and a card reader or QR scanner runs the
kiosk in desk mode: the screen is always the face enrolment step (the member taps a card or
shows the member QR, reads the consent in their language, looks at the camera), and every
way out of it (done, declined, back, idle) starts the next enrolment instead of opening the
menu. The steps, checks, consent text and the sealed uplink are the kiosk's own
(``kiosk.controllers.face``): the template is computed on this terminal, the photo is
never stored or sent, and nothing is ordered or paid here.
"""

from __future__ import annotations

from typing import Any

from kiosk.controllers.journey import JourneyController
from kiosk.services.devices import DeviceEvent


class DeskJourney(JourneyController):
    """The journey of a member-desk terminal: face enrolment, one member after another."""

    def __init__(self, services: Any) -> None:
        """Wired like the diner's journey; opens on the enrolment step."""
        super().__init__(services)
        self.open_face_enrol()

    def start(self) -> None:
        """A touch on the waiting screen: the enrolment step (there is no menu here)."""
        self.open_face_enrol()

    def reset(self) -> None:
        """Idle or "start over": forget the member and wait for the next one."""
        super().reset()
        self.open_face_enrol()

    def on_device_event(self, event: DeviceEvent) -> None:
        """A card or QR always says who enrols next (never an order, coupon or booking)."""
        if self.state.step is not self._steps().FACE_ENROL or self.face.state.phase != "member":
            self.reset()
        self.face_enrol_device_event(event)

    def _leave_face(self, message: Any = None) -> None:
        """Done, declined or back: the next member's enrolment, with the outcome's toast."""
        self.face.start_enrol(None)
        self._update(step=self._steps().FACE_ENROL, message=message)
