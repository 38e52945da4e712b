"""The face pipeline on dlib: HOG detector, 5-point landmarks, 128-d ResNet embedding.

The detector is compiled into ``dlib-bin`` (no file). The landmark and embedding models
come from the ``face-recognition-models`` package (CC0, Davis King's dlib-models); the
68-point landmark model in the same package is not licensed for commercial use and is
never loaded. Nothing is downloaded: both files are checked against the sha256 below
before dlib reads them, so a truncated or swapped file is refused with a clear error.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.face.types import (
    DetectedFace,
    FaceBox,
    FaceModelError,
    FacePipeline,
    Landmarks5,
)

log = logging.getLogger(__name__)

MODEL_NAME = "dlib-resnet-v1"
"""Tags every template: templates of another model are not comparable."""

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
EMBEDDER_FILE = "dlib_face_recognition_resnet_model_v1.dat"
SHA256 = {
    LANDMARKS_FILE: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    EMBEDDER_FILE: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
}
CHIP_SIZE = 150  # the ResNet's input
CHIP_PADDING = 0.25  # dlib's default around the aligned face
DETECT_MAX_SIDE = 480  # frames are scaled to this before HOG (640 costs ~1.8x, bench)


def packaged_model_dir() -> Path:
    """Where ``face-recognition-models`` installed its files."""
    try:
        import face_recognition_models
    except ImportError as err:
        raise FaceModelError("face models are not installed (pip install "
                             "'canteen-edge[face]')") from err
    return Path(face_recognition_models.__file__).parent / "models"


def _checked(path: Path) -> str:
    """The path as text once its sha256 matches the manifest; FaceModelError otherwise."""
    want = SHA256.get(path.name)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        raise FaceModelError(f"face model {path.name} cannot be read: {err}") from err
    if want is not None and digest != want:
        raise FaceModelError(f"face model {path.name} is corrupt (sha256 {digest[:12]}…)")
    return str(path)


class DlibDetector:
    """dlib's HOG + linear SVM frontal face detector (in the library; about 25 ms at 512 px)."""

    def __init__(self, max_side: int = DETECT_MAX_SIDE) -> None:
        """The detector is built once; ``max_side`` bounds the work per frame."""
        import dlib

        self._detector = dlib.get_frontal_face_detector()
        self.max_side = max_side

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        """Faces, largest first. A frame with none is searched once more at 2x for small faces."""
        import cv2

        h, w = rgb.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        img = rgb if scale == 1.0 else cv2.resize(rgb, (round(w * scale), round(h * scale)),
                                                  interpolation=cv2.INTER_AREA)
        img = np.ascontiguousarray(img)
        rects, scores, _ = self._detector.run(img, 0, 0.0)
        if not rects:
            # Upsampling finds faces down to ~40 px, only to tell the diner to come closer.
            rects, scores, _ = self._detector.run(img, 1, 0.0)
        boxes = [FaceBox(max(0, round(r.left() / scale)), max(0, round(r.top() / scale)),
                         min(w, round(r.right() / scale)), min(h, round(r.bottom() / scale)),
                         float(s)) for r, s in zip(rects, scores, strict=True)]
        return sorted(boxes, key=lambda b: b.width * b.height, reverse=True)


class DlibAligner:
    """dlib's 5-point shape predictor (CC0) and its face-chip alignment."""

    def __init__(self, model_path: Path) -> None:
        """Load the predictor; FaceModelError when the file is missing or corrupt."""
        import dlib

        try:
            self._predictor = dlib.shape_predictor(_checked(model_path))
        except RuntimeError as err:
            raise FaceModelError(f"face model {model_path.name} does not load: {err}") from err

    def _shape(self, rgb: np.ndarray, face: DetectedFace) -> object:
        import dlib

        b = face.box
        rect = dlib.rectangle(b.left, b.top, b.right, b.bottom)
        pts = [dlib.point(round(x), round(y)) for x, y in face.landmarks.points]
        return dlib.full_object_detection(rect, pts)

    def landmarks(self, rgb: np.ndarray, box: FaceBox) -> Landmarks5:
        """The five points inside ``box``."""
        import dlib

        shape = self._predictor(rgb, dlib.rectangle(box.left, box.top, box.right, box.bottom))
        return Landmarks5(tuple((float(p.x), float(p.y)) for p in shape.parts()))

    def chip(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The 150x150 chip, eyes level, as the ResNet was trained on."""
        import dlib

        return np.asarray(dlib.get_face_chip(rgb, self._shape(rgb, face), CHIP_SIZE,
                                             CHIP_PADDING))


class DlibEmbedder:
    """dlib's ResNet-34-like face embedding: 128 floats, 99.38 % on LFW at distance 0.6."""

    dim = 128

    def __init__(self, model_path: Path) -> None:
        """Load the network; FaceModelError when the file is missing or corrupt."""
        import dlib

        try:
            self._net = dlib.face_recognition_model_v1(_checked(model_path))
        except RuntimeError as err:
            raise FaceModelError(f"face model {model_path.name} does not load: {err}") from err

    def embed(self, chip: np.ndarray) -> np.ndarray:
        """The template vector of an aligned chip."""
        vec = np.asarray(self._net.compute_face_descriptor(np.ascontiguousarray(chip)),
                         dtype=np.float32)
        return vec


@dataclass(frozen=True)
class ModelFiles:
    """Where the two model files are (the installed package unless a test says otherwise)."""

    landmarks: Path
    embedder: Path

    @classmethod
    def packaged(cls) -> ModelFiles:
        """The files of the installed ``face-recognition-models``."""
        base = packaged_model_dir()
        return cls(base / LANDMARKS_FILE, base / EMBEDDER_FILE)


def build_pipeline(files: ModelFiles | None = None) -> FacePipeline:
    """A fresh pipeline (about 0.5 s: reads and checks 31 MB of model files)."""
    try:
        import dlib  # noqa: F401
    except ImportError as err:
        raise FaceModelError("dlib is not installed (pip install 'canteen-edge[face]')") from err
    files = files or ModelFiles.packaged()
    return FacePipeline(DlibDetector(), DlibAligner(files.landmarks),
                        DlibEmbedder(files.embedder), MODEL_NAME)


@functools.cache
def default_pipeline() -> FacePipeline:
    """The packaged pipeline, loaded once per process (kiosk, tests, benchmarks)."""
    pipeline = build_pipeline()
    log.info("face models loaded (%s)", MODEL_NAME)
    return pipeline
