"""Challenge-response liveness: the diner turns their head the way the kiosk asks.

Measured from the 5-point landmarks only (``Landmarks5.yaw``: the nose's sideways offset
from the eyes' midpoint over the eye distance). A real head turning moves the nose
against the eyes because the nose stands out of the face; a printed photo or a phone
held still gives a constant yaw, and a photo turned or tilted in front of the camera
scales the nose offset and the eye distance alike, so its yaw barely moves. The side is
drawn at random per attempt, so a clip of someone turning one way passes at best half
the time. Limits (docs/face-id.md): a video of the enrolled person turning the asked way,
replayed on a screen, or a 3-D mask, can pass; this is a deterrent for a canteen,
not bank-grade presentation-attack detection.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal

from models.face.types import DetectedFace

Side = Literal["left", "right"]  # the diner's own left / right

TURN_YAW = 0.15  # yaw change (from the frontal start) that counts as a turn
MAX_JUMP = 0.5  # box centre may move at most this many box widths between frames
MAX_FRAMES = 60  # frames to complete the turn (~6 s at 10 frames/s), then it fails


def choose_side() -> Side:
    """A random side per attempt (a recording cannot know which)."""
    return "left" if secrets.randbelow(2) == 0 else "right"


@dataclass
class HeadTurnChallenge:
    """Feed one detected face per frame; ``passed`` once the asked turn was seen.

    The diner's left is the image's right for an unmirrored camera: turning to their
    left moves the nose to the image's right (positive yaw).
    """

    side: Side
    turn_yaw: float = TURN_YAW
    max_frames: int = MAX_FRAMES
    baseline: float | None = None
    peak: float = 0.0
    frames: int = 0
    passed: bool = False
    failed: str | None = None
    _last_center: tuple[float, float] | None = field(default=None, repr=False)
    _last_width: float = field(default=0.0, repr=False)

    @property
    def sign(self) -> float:
        """Yaw sign of the asked turn."""
        return 1.0 if self.side == "left" else -1.0

    def feed(self, face: DetectedFace | None) -> bool:
        """One frame's face (None: none found); True once the challenge is passed."""
        if self.passed or self.failed:
            return self.passed
        self.frames += 1
        if self.frames > self.max_frames:
            self.failed = "timeout"
            return False
        if face is None:
            return False
        cx, cy = face.box.center
        if self._last_center is not None:
            jump = max(abs(cx - self._last_center[0]), abs(cy - self._last_center[1]))
            if jump > MAX_JUMP * max(self._last_width, 1.0):
                # another face, or the photo swapped for a person: start over from here
                self.baseline = None
                self.peak = 0.0
        self._last_center, self._last_width = (cx, cy), float(face.box.width)
        yaw = face.landmarks.yaw
        if self.baseline is None:
            self.baseline = yaw
            return False
        moved = (yaw - self.baseline) * self.sign
        self.peak = max(self.peak, moved)
        if moved >= self.turn_yaw:
            self.passed = True
        return self.passed
