"""The journey's face-ID actions (a mixin of ``JourneyController``): open, confirm, enrol.

The face screen calls these; ``JourneyController`` owns ``self.face`` (the
``FaceController``) and the step. A refusal never leaves the diner stuck: every way out
lands on the identify screen, where QR and card work as always.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from kiosk.controllers.face_texts import T
from kiosk.services.devices import DeviceEvent

if TYPE_CHECKING:
    from kiosk.controllers.context import Services, Session
    from kiosk.controllers.face import FaceController

log = logging.getLogger(__name__)


class FaceSteps:
    """Face-ID transitions of the diner journey."""

    face: FaceController
    _face_thread: threading.Thread | None = None

    if TYPE_CHECKING:  # provided by JourneyController (declared for the type checker only:
        # real methods here would sit before Observable in the MRO and swallow super() calls)
        s: Services
        session: Session
        state: Any
        identifiers: dict[str, Any]

        def _touch(self) -> Any: ...
        def _update(self, **changes: Any) -> None: ...
        def _enter_menu(self, identity: Any) -> bool: ...
        def _guard(self, action: Any) -> Any: ...

    def _steps(self) -> Any:
        from kiosk.controllers.journey import Step

        return Step

    # ---- camera -------------------------------------------------------------------------

    def _face_camera(self) -> None:
        """Hand the camera to the face loop (QR scanning pauses while it runs)."""
        events = self.s.events
        if events is None or events.camera is None:
            return  # tests feed frames themselves
        if self._face_thread is not None and self._face_thread.is_alive():
            return
        events.scan_with_camera(False)
        self._face_thread = threading.Thread(
            target=self.face.run_camera, args=(events.camera,), kwargs={"interval_s": 0.05},
            name="face-camera", daemon=True)
        self._face_thread.start()

    def _leave_face(self, message: Any = None) -> None:
        self.face.clear()
        self._update(step=self._steps().IDENTIFY, message=message)

    # ---- identify -----------------------------------------------------------------------

    def open_face(self) -> bool:
        """The diner tapped Face ID: False (with a message) when it cannot run here."""
        self._touch()
        if not self.face.start_identify():
            self._update(message=self.face.state.prompt)
            return False
        self._update(step=self._steps().FACE, message=None)
        self._face_camera()
        return True

    def face_retry(self) -> None:
        """Try the face step again (after a failure)."""
        if self.face.state.mode == "enrol":
            self.open_face_enrol()
        else:
            self.open_face()

    def face_confirm(self) -> bool:
        """"Yes, that's me": enter the menu as the matched member (nothing charged yet)."""
        self._touch()
        identity = self.face.identity()
        if identity is None:
            return False
        self.face.clear()
        return self._enter_menu(identity)

    def face_not_me(self) -> None:
        """"Not me" or "back": the identify screen, where QR and card work."""
        self._touch()
        self._leave_face()

    # ---- enrolment ----------------------------------------------------------------------

    def open_face_enrol(self) -> None:
        """Set up Face ID: identify by QR/card first (unless this diner already did)."""
        self._touch()
        self.face.start_enrol(self.session.member)
        self._update(step=self._steps().FACE_ENROL, message=None)

    def face_enrol_device_event(self, event: DeviceEvent) -> None:
        """A QR code or card while enrolling: who is enrolling."""
        self._touch()
        if self.face.state.phase != "member":
            return
        identifier = self.identifiers.get("card" if event.kind == "card" else "qr")
        if identifier is None:
            return
        identity = self._guard(lambda: identifier.identify(event.value))
        if identity is not None and identity.member is not None:
            self.face.member_identified(identity.member)

    def face_accept_consent(self) -> None:
        """The member accepted the face consent: capture frames."""
        self._touch()
        self.face.accept_consent()
        self._face_camera()

    def face_decline(self) -> None:
        """No consent: nothing is captured; back to identify."""
        self._leave_face(message=None)

    def face_enrol_done(self) -> None:
        """Close the enrolment screen."""
        self._leave_face(message=T["enrolled"] if self.face.state.phase == "enrolled" else None)
