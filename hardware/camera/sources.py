"""Frame sources: an OpenCV camera, or images/video replayed from disk; and a QR scan loop."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from hardware.camera.decode import decode_qr
from hardware.config import OpenCvCameraConfig, ReplayCameraConfig

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}


class CameraError(Exception):
    """The camera or replay source cannot deliver frames."""


class OpenCvCamera:
    """A V4L2/USB camera opened through OpenCV on first read."""

    def __init__(self, config: OpenCvCameraConfig) -> None:
        """Nothing opens until read()."""
        self.config = config
        self._cap: cv2.VideoCapture | None = None

    def read(self) -> np.ndarray | None:
        """One BGR frame, or None when the camera gave none (it is reopened next time)."""
        if self._cap is None:
            self._cap = cv2.VideoCapture(self.config.device)
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
        ok, frame = self._cap.read()
        if not ok:
            self.close()
            return None
        return frame

    def close(self) -> None:
        """Release the device."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class ReplayCamera:
    """Frames from a directory of images (sorted by name) or a video file."""

    def __init__(self, config: ReplayCameraConfig) -> None:
        """Check the path exists; frames are read lazily."""
        self.config = config
        self.path = Path(config.path)
        if not self.path.exists():
            raise CameraError(f"replay source {self.path} does not exist")
        self._frames = self._iterate()

    def _iterate(self) -> Iterator[np.ndarray]:
        while True:
            count = 0
            if self.path.is_dir():
                for file in sorted(self.path.iterdir()):
                    if file.suffix.lower() in IMAGE_SUFFIXES:
                        frame = cv2.imread(str(file))
                        if frame is None:
                            log.warning("unreadable image %s skipped", file)
                            continue
                        count += 1
                        yield frame
            else:
                cap = cv2.VideoCapture(str(self.path))
                while True:
                    ok, frame = cap.read()
                    if not ok:
                        break
                    count += 1
                    yield frame
                cap.release()
            if count == 0:
                raise CameraError(f"no frames in {self.path}")
            if not self.config.loop:
                return

    def read(self) -> np.ndarray | None:
        """The next frame, or None at the end (when not looping)."""
        return next(self._frames, None)

    def close(self) -> None:
        """Nothing to release."""


def scan_codes(source: OpenCvCamera | ReplayCamera, max_frames: int) -> Iterator[str]:
    """QR payloads seen in up to `max_frames` frames, each payload once per run of frames."""
    last: str | None = None
    for _ in range(max_frames):
        frame = source.read()
        if frame is None:
            return
        for payload in decode_qr(frame):
            if payload != last:
                last = payload
                yield payload
