"""The face-ID steps: identify (find, turn the head, confirm) and enrol (consent, capture).

identify:  looking -> turn -> confirm -> (the menu, as that member)
                \\-> failed (no match, no turn, unavailable): QR and card, one tap away
enrol:     member (QR/card first) -> consent -> capturing -> enrolled | failed

Frames come from the camera loop (``run_camera``) or a test, one at a time, through
``process_frame``; nothing here keeps a frame beyond the small preview shown on the
screen, which is dropped on every reset. Nothing is written until the diner confirms
(identify) or accepts the consent and enough good frames were seen (enrol).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np

from kiosk.controllers.face_texts import CAPTURE, CONSENT, T, problem_text
from kiosk.controllers.identify import Identity
from kiosk.controllers.observable import Observable
from kiosk.i18n import Text
from kiosk.services.errors import KioskError
from kiosk.services.face import EnrolmentInconsistent, FaceService, FaceUnavailable
from models.face.liveness import MAX_FRAMES, HeadTurnChallenge, Side, choose_side
from protocol.member_cache import CachedMember

if TYPE_CHECKING:
    from kiosk.controllers.journey import JourneyController

log = logging.getLogger(__name__)

Mode = Literal["identify", "enrol"]
Phase = Literal["idle", "looking", "turn", "confirm", "member", "consent", "capturing",
                "enrolled", "failed"]
ENROL_FRAMES = 3  # good frontal frames averaged into one template
PREVIEW_WIDTH = 320  # the on-screen preview (memory only)
ACTIVE = frozenset({"looking", "turn", "capturing"})


@dataclass(frozen=True)
class FaceState:
    """What the face screen shows."""

    mode: Mode = "identify"
    phase: Phase = "idle"
    prompt: Text | None = None  # the instruction now
    problem: Text | None = None  # why the last frame was not usable
    candidate: Text | None = None  # "张* · ****1234"
    side: Side = "left"
    captured: int = 0
    frames: int = 0  # frames seen this step (moves the preview on)
    preview: np.ndarray | None = field(default=None, compare=False, repr=False)


def masked_member(member: CachedMember) -> Text:
    """The cached (already masked) name and the last four of the member number."""
    tail = member.member_id[-4:]
    return Text(f"{member.display_name} · ****{tail}", f"{member.display_name} · ****{tail}")


class FaceController(Observable[FaceState]):
    """Drives the face screen for the journey; QR and card stay available throughout."""

    def __init__(self, journey: JourneyController, service: FaceService) -> None:
        """``service`` loads its models on first use, not here."""
        super().__init__(FaceState())
        self.journey = journey
        self.service = service
        self._challenge: HeadTurnChallenge | None = None
        self._matched: CachedMember | None = None
        self._member: CachedMember | None = None  # enrolling member
        self._vectors: list[np.ndarray] = []
        self._consented_at: datetime | None = None
        self.challenge_frames = MAX_FRAMES  # frames allowed for the head turn
        self._lock = threading.Lock()  # camera thread vs UI taps
        self._stop = threading.Event()

    # ---- lifecycle ----------------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything (idle reset, leaving the screen): no face data survives."""
        with self._lock:
            self._challenge = None
            self._matched = None
            self._member = None
            self._vectors = []
            self._stop.set()
            self._set(FaceState())

    def _fail(self, text: Text) -> None:
        self._challenge = None
        self._vectors = []
        self._update(phase="failed", prompt=text, problem=None, candidate=None)

    def start_identify(self) -> bool:
        """Open the camera step; False (with a message) when face-ID cannot run here."""
        self.clear()
        self._stop.clear()
        if not self._available():
            return False
        side = choose_side()
        self._challenge = HeadTurnChallenge(side, max_frames=self.challenge_frames)
        self._update(mode="identify", phase="looking", side=side, prompt=T["look"])
        return True

    def start_enrol(self, member: CachedMember | None) -> None:
        """Enrolment: the member must identify by QR or card first (unless already known)."""
        self.clear()
        self._stop.clear()
        self._member = member
        if member is None:
            self._update(mode="enrol", phase="member", prompt=T["enrol_identify_first"])
        else:
            self._update(mode="enrol", phase="consent", prompt=CONSENT,
                         candidate=masked_member(member))

    def _available(self) -> bool:
        try:
            self.service.pipeline()
            if not self.service.ready():
                self._fail(T["unavailable"])
                return False
        except FaceUnavailable:
            self._fail(T["unavailable"])
            return False
        return True

    # ---- enrolment taps -----------------------------------------------------------------

    def member_identified(self, member: CachedMember) -> None:
        """QR or card identified the member who wants to enrol: show the consent."""
        with self._lock:
            if self.state.mode == "enrol" and self.state.phase == "member":
                self._member = member
                self._update(phase="consent", prompt=CONSENT, problem=None,
                             candidate=masked_member(member))

    def accept_consent(self) -> None:
        """The member read the face consent and accepted it: start capturing."""
        with self._lock:
            if self.state.phase != "consent" or self._member is None:
                return
            try:
                self.service.pipeline()
            except FaceUnavailable:
                self._fail(T["unavailable"])
                return
            self._consented_at = self.journey.s.clock.now()
            self._vectors = []
            self._update(phase="capturing", captured=0,
                         prompt=CAPTURE.fill(n=0, total=ENROL_FRAMES))

    # ---- frames -------------------------------------------------------------------------

    def process_frame(self, bgr: np.ndarray) -> None:
        """One camera frame (BGR, as OpenCV gives it)."""
        with self._lock:
            phase = self.state.phase
            if phase not in ACTIVE:
                return
            rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            self._preview(rgb)  # first: the state change below carries it to the screen
            try:
                if phase == "capturing":
                    self._capture(rgb)
                else:
                    self._identify(rgb, phase)
            except FaceUnavailable:
                self._fail(T["unavailable"])
            except KioskError as err:
                log.info("face step refused: %r", err)
                self._fail(T["unavailable"])

    def _preview(self, rgb: np.ndarray) -> None:
        h, w = rgb.shape[:2]
        small = cv2.resize(rgb, (PREVIEW_WIDTH, max(1, round(h * PREVIEW_WIDTH / w))),
                           interpolation=cv2.INTER_AREA)
        # every frame counts as a change, so the screen's preview follows the camera
        self._update(preview=small, frames=self.state.frames + 1)

    def _identify(self, rgb: np.ndarray, phase: str) -> None:
        challenge = self._challenge
        if challenge is None:
            return
        check = self.service.check(rgb, frontal=phase == "looking")
        if phase == "looking":
            if not check.ok or check.face is None:
                self._update(problem=problem_text(check.problem))
                if challenge.feed(None) is False and challenge.failed:
                    self._fail(T["timeout"])
                return
            match = self.service.match(self.service.embed(rgb, check.face))
            if not match.accepted or match.key is None:
                log.info("face not matched (%s, %.3f)", match.reason, match.distance)
                self._fail(T["no_match"])
                return
            member = self.service.member(match.key)
            if member is None or member.blocked:
                self._fail(T["no_match"])
                return
            self._matched = member
            challenge.feed(check.face)  # the frontal start of the head turn
            self._update(phase="turn", problem=None, prompt=T[f"turn_{challenge.side}"])
            return
        # phase "turn": only the landmarks are needed, a turned head is expected
        usable = check.face if check.problem in (None, "not_frontal") else None
        if usable is None:
            self._update(problem=problem_text(check.problem))
        if challenge.feed(usable):
            member = self._matched
            self._update(phase="confirm", problem=None, prompt=T["confirm"],
                         candidate=masked_member(member) if member else None)
        elif challenge.failed:
            self._fail(T["timeout"])

    def _capture(self, rgb: np.ndarray) -> None:
        member = self._member
        if member is None:
            return
        check = self.service.check(rgb, frontal=True)
        if not check.ok or check.face is None:
            self._update(problem=problem_text(check.problem))
            return
        self._vectors.append(self.service.embed(rgb, check.face))
        n = len(self._vectors)
        self._update(captured=n, problem=None, prompt=CAPTURE.fill(n=n, total=ENROL_FRAMES))
        if n < ENROL_FRAMES:
            return
        try:
            self.service.enrol(member, self._vectors, lang=self.journey.state.lang,
                               consented_at=self._consented_at or self.journey.s.clock.now())
        except EnrolmentInconsistent:
            self._vectors = []
            self._update(captured=0, problem=T["inconsistent"],
                         prompt=CAPTURE.fill(n=0, total=ENROL_FRAMES))
            return
        self._vectors = []
        self._update(phase="enrolled", prompt=T["enrolled"], problem=None)

    # ---- identify taps ------------------------------------------------------------------

    def confirmed_member(self) -> CachedMember | None:
        """The member the diner confirmed as themselves (None unless at the confirm step)."""
        return self._matched if self.state.phase == "confirm" else None

    def identity(self) -> Identity | None:
        """The face identity to enter the menu with, after the diner said "yes, that's me"."""
        member = self.confirmed_member()
        return None if member is None else Identity("face", member)

    # ---- the camera loop ----------------------------------------------------------------

    def run_camera(self, camera: object, *, max_frames: int | None = None,
                   interval_s: float = 0.0) -> int:
        """Read frames into ``process_frame`` while a step needs them; frames processed.

        ``camera`` has ``read() -> ndarray | None`` (``hardware.camera.sources``).
        """
        done = 0
        read = camera.read  # type: ignore[attr-defined]
        while not self._stop.is_set() and self.state.phase in ACTIVE:
            if max_frames is not None and done >= max_frames:
                break
            frame = read()
            if frame is None:
                break
            self.process_frame(frame)
            done += 1
            if interval_s:
                self._stop.wait(interval_s)
        return done

    def stop_camera(self) -> None:
        """Stop a running camera loop."""
        self._stop.set()
