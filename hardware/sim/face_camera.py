"""Face camera simulator: a person in front of the kiosk camera, built from a packaged photo.

No face data set may be downloaded here, so frames are made from the faces that ship
inside installed packages (scikit-image's ``astronaut``: the only frontal face among the
images of every installed package that dlib's detector finds). A head turn is
simulated by moving the nose region sideways against the eyes with a smooth local warp
(what a turning head does: the nose stands out of the face), a photo held at an angle by
squeezing the whole face flat. Frames are written as PNGs that ``ReplayCamera`` replays.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class Person:
    """A face photo cropped square around the face, and where its nose is in the crop."""

    name: str
    crop: np.ndarray  # RGB
    nose: tuple[float, float]  # (x, y) in crop pixels


def packaged_people() -> dict[str, Person]:
    """The faces that ship with scikit-image (no download)."""
    from skimage import data

    astro = data.astronaut()[30:230, 125:325]
    return {"astronaut": Person("astronaut", np.ascontiguousarray(astro), (99.0, 112.0))}


@dataclass(frozen=True)
class Pose:
    """How the person appears in one frame."""

    face_px: int = 160  # width the face takes in the frame (about the detector's box)
    turn: float = 0.0  # nose shift as a fraction of the crop width; + = the person's left
    squeeze: float = 1.0  # horizontal scale of the whole face (a flat photo turned)
    dx: int = 0  # offset of the face from the frame centre
    dy: int = 0
    blur: int = 0  # Gaussian kernel (odd) or 0
    gain: float = 1.0  # brightness
    noise: float = 2.0  # sensor noise, grey levels


def _turned(person: Person, turn: float) -> np.ndarray:
    crop = person.crop
    if not turn:
        return crop
    h, w = crop.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = person.nose
    bump = np.exp(-(((xx - cx) / (0.2 * w)) ** 2 + ((yy - cy) / (0.14 * h)) ** 2) / 2)
    # the person's left is the image's right: the nose moves right
    map_x = (xx - turn * w * bump).astype(np.float32)
    return cv2.remap(crop, map_x, yy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def render(person: Person, pose: Pose = Pose(), size: tuple[int, int] = (640, 480),
           seed: int = 0, extra: list[tuple[Person, Pose]] | None = None) -> np.ndarray:
    """One RGB frame of ``person`` in ``pose`` (plus ``extra`` people) on a plain wall."""
    width, height = size
    rng = np.random.default_rng(seed)
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = (170, 176, 182)
    frame[:, :, 0] = np.linspace(150, 205, width).astype(np.uint8)
    for who, how in [(person, pose), *(extra or [])]:
        face = _turned(who, how.turn)
        h, w = face.shape[:2]
        scale = how.face_px / (0.43 * w)  # the detector's box is ~0.43 of the crop
        face = cv2.resize(face, (max(1, round(w * scale * how.squeeze)), max(1, round(h * scale))),
                          interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        fh, fw = face.shape[:2]
        x0 = (width - fw) // 2 + how.dx
        y0 = (height - fh) // 2 + how.dy
        xs, ys = max(0, x0), max(0, y0)
        xe, ye = min(width, x0 + fw), min(height, y0 + fh)
        if xe > xs and ye > ys:
            frame[ys:ye, xs:xe] = face[ys - y0:ye - y0, xs - x0:xe - x0]
    shot: np.ndarray = cv2.GaussianBlur(frame, (pose.blur, pose.blur), 0) if pose.blur \
        else frame
    out = shot.astype(np.float32) * pose.gain
    if pose.noise:
        out += rng.normal(0, pose.noise, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def head_turn(side: str, steps: int = 6, peak: float = 0.1) -> list[Pose]:
    """Frontal, then turning to ``side`` (the person's own) and back."""
    sign = 1.0 if side == "left" else -1.0
    ramp = [peak * sign * i / (steps - 1) for i in range(steps)]
    return [Pose()] * 2 + [Pose(turn=t) for t in ramp] + [Pose()]


def held_photo(steps: int = 6) -> list[Pose]:
    """A printed photo turned about its vertical axis: the face flattens, nothing protrudes."""
    return [Pose()] * 2 + [Pose(squeeze=1.0 - 0.35 * i / (steps - 1)) for i in range(steps)]


def write_frames(folder: Path, frames: list[np.ndarray]) -> Path:
    """PNG files (BGR on disk, as OpenCV reads them) named in replay order."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, rgb in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:04d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder


def main(argv: list[str] | None = None) -> int:
    """Write a head-turn clip for the replay camera: face_camera OUT_DIR [--side left]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--person", default="astronaut", choices=("astronaut",))
    parser.add_argument("--side", default="left", choices=("left", "right"))
    args = parser.parse_args(argv)
    person = packaged_people()[args.person]
    write_frames(args.out, [render(person, p, seed=i)
                            for i, p in enumerate(head_turn(args.side))])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
