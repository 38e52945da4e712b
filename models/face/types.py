"""The face pipeline's interface: detector, aligner and embedder, each replaceable on its own.

A frame is an RGB ``uint8`` array (H, W, 3). The detector finds boxes; the aligner puts
five landmarks on a box (eye corners and the base of the nose, the layout of dlib's
5-point model) and cuts the aligned chip the embedder wants; the embedder turns a chip
into a unit-free vector compared by Euclidean distance. Another model family (an ONNX
detector, a different embedder) only has to implement these three protocols.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class FaceModelError(Exception):
    """A model file is missing, corrupt or of the wrong kind: face-ID is unavailable."""


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A detected face in frame pixels (right/bottom exclusive)."""

    left: int
    top: int
    right: int
    bottom: int
    score: float = 0.0

    @property
    def width(self) -> int:
        """Box width in pixels."""
        return self.right - self.left

    @property
    def height(self) -> int:
        """Box height in pixels."""
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        """Box centre (x, y)."""
        return ((self.left + self.right) / 2, (self.top + self.bottom) / 2)


@dataclass(frozen=True, slots=True)
class Landmarks5:
    """Five points in frame pixels, in dlib's order.

    0, 1: outer and inner corner of the eye on the image's right; 2, 3: outer and inner
    corner of the eye on the image's left; 4: the base of the nose.
    """

    points: tuple[tuple[float, float], ...]

    @property
    def eye_right(self) -> tuple[float, float]:
        """Centre of the eye on the image's right (the person's left eye)."""
        (ax, ay), (bx, by) = self.points[0], self.points[1]
        return ((ax + bx) / 2, (ay + by) / 2)

    @property
    def eye_left(self) -> tuple[float, float]:
        """Centre of the eye on the image's left (the person's right eye)."""
        (ax, ay), (bx, by) = self.points[2], self.points[3]
        return ((ax + bx) / 2, (ay + by) / 2)

    @property
    def nose(self) -> tuple[float, float]:
        """Base of the nose."""
        return self.points[4]

    @property
    def eye_distance(self) -> float:
        """Distance between the eye centres in pixels."""
        (lx, ly), (rx, ry) = self.eye_left, self.eye_right
        return math.hypot(rx - lx, ry - ly)

    @property
    def yaw(self) -> float:
        """Head turn as the nose's sideways offset from the eyes' midpoint / eye distance.

        About 0 facing the camera; positive when the nose moves to the image's right
        (the person turns to their own left). The nose stands out of the face, so a real
        head turn moves it against the eyes; a flat photo turned or tilted in front of
        the camera shrinks both offsets alike and keeps this ratio nearly constant.
        """
        (lx, ly), (rx, ry) = self.eye_left, self.eye_right
        dx, dy = rx - lx, ry - ly
        dist = math.hypot(dx, dy) or 1.0
        mx, my = (lx + rx) / 2, (ly + ry) / 2
        nx, ny = self.nose
        # offset along the eye line: in-plane roll does not count as a turn
        return ((nx - mx) * dx + (ny - my) * dy) / (dist * dist)

    @property
    def roll_degrees(self) -> float:
        """In-plane tilt of the eye line."""
        (lx, ly), (rx, ry) = self.eye_left, self.eye_right
        return math.degrees(math.atan2(ry - ly, rx - lx))


@dataclass(frozen=True, slots=True)
class DetectedFace:
    """A face found in a frame, with its landmarks."""

    box: FaceBox
    landmarks: Landmarks5


class FaceDetector(Protocol):
    """Finds faces in an RGB frame."""

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        """Boxes of the faces in the frame, largest first."""
        ...


class FaceAligner(Protocol):
    """Places the five landmarks and cuts the aligned chip the embedder expects."""

    def landmarks(self, rgb: np.ndarray, box: FaceBox) -> Landmarks5:
        """Five landmarks of the face in ``box``."""
        ...

    def chip(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The aligned face chip (RGB uint8)."""
        ...


class FaceEmbedder(Protocol):
    """Turns an aligned chip into a template vector."""

    dim: int

    def embed(self, chip: np.ndarray) -> np.ndarray:
        """A float32 vector of length ``dim``."""
        ...


@dataclass(frozen=True)
class FacePipeline:
    """Detector + aligner + embedder, and the name that tags the templates they make.

    Templates of different ``model`` names are not comparable: a kiosk ignores the ones
    made by another model (a model change means enrolling again).
    """

    detector: FaceDetector
    aligner: FaceAligner
    embedder: FaceEmbedder
    model: str

    def find(self, rgb: np.ndarray) -> list[DetectedFace]:
        """Every face in the frame with its landmarks, largest first."""
        return [DetectedFace(b, self.aligner.landmarks(rgb, b)) for b in self.detector.detect(rgb)]

    def embed(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The template vector of one found face."""
        return self.embedder.embed(self.aligner.chip(rgb, face))
