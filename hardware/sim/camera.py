"""Camera simulator: QR codes rendered into realistic frames (tilt, perspective, blur, noise)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import qrcode


@dataclass(frozen=True)
class Distortion:
    """How a phone screen or coupon looks to the kiosk camera."""

    rotation_deg: float = 0.0
    perspective: float = 0.0  # 0..0.3: how far corners are pulled
    blur: int = 0  # Gaussian kernel (odd) or 0
    noise: float = 0.0  # stddev of Gaussian noise, grey levels
    code_px: int = 200  # side of the code in the frame, quiet zone included
    brightness: float = 1.0
    contrast: float = 1.0  # 1: black modules; 0.3: a dim phone screen's grey on grey


def qr_image(payload: str, box: int = 8) -> np.ndarray:
    """A clean grayscale QR image with a quiet zone."""
    qr = qrcode.QRCode(box_size=box, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    return np.array(qr.make_image().get_image().convert("L"), dtype=np.uint8)


def render_frame(
    payload: str,
    size: tuple[int, int] = (640, 480),
    distortion: Distortion = Distortion(),
    seed: int = 0,
) -> np.ndarray:
    """A BGR camera frame of `size` (w, h) showing the QR code with the given distortion."""
    rng = np.random.default_rng(seed)
    w, h = size
    code = cv2.resize(
        qr_image(payload), (distortion.code_px, distortion.code_px), interpolation=cv2.INTER_AREA
    )
    if distortion.contrast < 1.0:  # dark modules lifted towards the light ones
        code = (255 - (255 - code.astype(np.float32)) * distortion.contrast).astype(np.uint8)
    # A textured grey background (a counter top) so thresholds are not trivially clean.
    background = rng.normal(150, 25, (h // 8 + 1, w // 8 + 1)).clip(0, 255).astype(np.uint8)
    frame = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    s = distortion.code_px
    cx, cy = w / 2 + rng.uniform(-w / 8, w / 8), h / 2 + rng.uniform(-h / 8, h / 8)
    src = np.array([[0, 0], [s, 0], [s, s], [0, s]], dtype=np.float32)
    p = distortion.perspective * s
    corners = [[-s / 2 + p, -s / 2], [s / 2 - p, -s / 2], [s / 2, s / 2], [-s / 2, s / 2]]
    angle = np.deg2rad(distortion.rotation_deg)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (np.array(corners) @ rot.T + [cx, cy]).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(code, matrix, (w, h), borderValue=255)
    mask = cv2.warpPerspective(np.full_like(code, 255), matrix, (w, h))
    frame = np.where(mask > 0, warped, frame).astype(np.float32) * distortion.brightness
    if distortion.blur:
        frame = cv2.GaussianBlur(frame, (distortion.blur, distortion.blur), 0)
    if distortion.noise:
        frame = frame + rng.normal(0, distortion.noise, frame.shape)
    gray = frame.clip(0, 255).astype(np.uint8)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


#: A fixed set of hard cases used by tests and the decode benchmark.
HARD_CASES: dict[str, Distortion] = {
    "clean": Distortion(),
    "rotated_30": Distortion(rotation_deg=30),
    "rotated_135": Distortion(rotation_deg=135),
    "skewed": Distortion(perspective=0.2, rotation_deg=10),
    "blurred": Distortion(blur=5),
    "noisy": Distortion(noise=30),
    "small": Distortion(code_px=90),
    "dim_noisy_tilted": Distortion(rotation_deg=45, noise=20, brightness=0.6, perspective=0.1),
    "tiny_modules": Distortion(code_px=123, rotation_deg=-20),  # 3 px modules
    "dim_low_contrast": Distortion(code_px=160, brightness=0.5, contrast=0.4, noise=8),
    "small_noisy": Distortion(code_px=140, noise=25, rotation_deg=15),
    "steep_perspective": Distortion(code_px=220, perspective=0.25, rotation_deg=-55, blur=3),
}

#: Modules across the payloads the kiosk reads (version 4, 33 modules + 2 x 4 quiet zone).
_MODULES = 41


def sample_distortion(rng: np.random.Generator, scale: float = 1.0) -> Distortion:
    """A random hard case: modules 3-8 px, rotation ±60°, perspective, blur, noise, dim screens.

    `scale` is the camera's resolution against 640x480 for the same scene: a 1280x720 camera
    (1.5) sees the same code at the same distance with 1.5x larger modules and a wider blur.
    """
    module_px = float(rng.uniform(3.0, 8.0)) * scale
    blur = int(rng.choice([0, 0, 3, 5]))
    if blur:
        blur = int(blur * scale) | 1  # odd kernel
    return Distortion(
        rotation_deg=float(rng.uniform(-60, 60)),
        perspective=float(rng.uniform(0, 0.2)),
        blur=blur,
        noise=float(rng.uniform(0, 25)),
        code_px=int(module_px * _MODULES),
        brightness=float(rng.uniform(0.4, 1.0)),
        contrast=float(rng.uniform(0.35, 1.0)),
    )


def sample_frames(
    payload: str,
    count: int,
    size: tuple[int, int] = (640, 480),
    seed: int = 0,
    scale: float | None = None,
) -> list[tuple[Distortion, np.ndarray]]:
    """`count` seeded random hard frames: the same seed always gives the same frames.

    `scale` defaults to the frame height against 480 (the same scenes, a sharper camera); pass
    1.0 for codes as small in pixels as at 640x480.
    """
    rng = np.random.default_rng(seed)
    scale = size[1] / 480 if scale is None else scale
    out = []
    for i in range(count):
        distortion = sample_distortion(rng, scale)
        out.append((distortion, render_frame(payload, size, distortion, seed=seed * 100_003 + i)))
    return out


def main() -> None:
    """Write the hard-case frames (and a video of them) to a directory for the replay camera."""
    ap = argparse.ArgumentParser(description="render QR camera frames for the replay camera")
    ap.add_argument("out", type=Path)
    ap.add_argument("--payload", default="MEMBER:0190f3a2-7b1c-7d00-8000-000000000001")
    ap.add_argument("--size", default="640x480")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    video = cv2.VideoWriter(
        str(args.out / "frames.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 5, (w, h)
    )
    for i, (name, dist) in enumerate(HARD_CASES.items()):
        frame = render_frame(args.payload, (w, h), dist, seed=i)
        cv2.imwrite(str(args.out / f"{i:02d}_{name}.png"), frame)
        video.write(frame)
    video.release()
    print(f"camera frames written: {args.out} (replay with type: camera_replay, path: {args.out})")


if __name__ == "__main__":
    main()
