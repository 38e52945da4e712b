"""Is this frame good enough to enrol or identify from? One face, big, sharp, lit, frontal.

Each refusal has a code the kiosk turns into a bilingual message. Thresholds were set on
the frames of tests/face and bench/face_threshold.py (see docs/face-id.md); they are
deliberately strict for enrolment, where a bad template would hurt every later visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from models.face.types import DetectedFace, FacePipeline

Problem = Literal["dark", "no_face", "many_faces", "too_small", "blurry", "not_frontal"]

DARK_MEAN = 40.0  # mean grey level of the frame (0..255) below which nothing is tried
MIN_FACE_PX = 80  # detector box width; the ResNet chip is 150 px, LFW faces are ~100 px
BLUR_MIN = 60.0  # variance of the Laplacian of the face at 100x100 px
FRONTAL_YAW = 0.12  # |yaw| (nose offset / eye distance) for "facing the camera"
FRONTAL_ROLL = 15.0  # degrees of in-plane tilt


@dataclass(frozen=True, slots=True)
class FrameCheck:
    """The face to use, or the reason there is none."""

    face: DetectedFace | None
    problem: Problem | None
    sharpness: float = 0.0

    @property
    def ok(self) -> bool:
        """A usable face."""
        return self.problem is None


def brightness(rgb: np.ndarray) -> float:
    """Mean grey level of a frame."""
    return float(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).mean())


def sharpness(rgb: np.ndarray, face: DetectedFace) -> float:
    """Variance of the Laplacian over the face box scaled to 100x100 (blur lowers it)."""
    b = face.box
    crop = rgb[max(0, b.top):b.bottom, max(0, b.left):b.right]
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(cv2.resize(crop, (100, 100), interpolation=cv2.INTER_AREA),
                        cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def check_frame(pipeline: FacePipeline, rgb: np.ndarray, *, frontal: bool = True) -> FrameCheck:
    """Find the one usable face in a frame; ``frontal=False`` accepts a turned head."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.size == 0:
        return FrameCheck(None, "no_face")
    if brightness(rgb) < DARK_MEAN:
        return FrameCheck(None, "dark")
    faces = pipeline.find(rgb)
    if not faces:
        return FrameCheck(None, "no_face")
    if len(faces) > 1:
        return FrameCheck(None, "many_faces")
    face = faces[0]
    if face.box.width < MIN_FACE_PX:
        return FrameCheck(face, "too_small")
    sharp = sharpness(rgb, face)
    if sharp < BLUR_MIN:
        return FrameCheck(face, "blurry", sharp)
    lm = face.landmarks
    if frontal and (abs(lm.yaw) > FRONTAL_YAW or abs(lm.roll_degrees) > FRONTAL_ROLL):
        return FrameCheck(face, "not_frontal", sharp)
    return FrameCheck(face, None, sharp)
