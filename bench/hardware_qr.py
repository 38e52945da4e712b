"""QR decode time per frame and success rate: staged decode_qr against full-frame pyzbar.

Run: python bench/hardware_qr.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.camera.decode import decode_full_frame, decode_qr
from hardware.sim.camera import HARD_CASES, render_frame

PAYLOAD = "MEMBER:0190f3a2-7b1c-7d00-8000-000000000001"
SEEDS = range(5)


def run(
    decoder: Callable[[np.ndarray], list[str]], frames: list[np.ndarray]
) -> tuple[float, float]:
    times, hits = [], 0
    for frame in frames:
        t = time.perf_counter()
        ok = decoder(frame) == [PAYLOAD]
        times.append((time.perf_counter() - t) * 1000)
        hits += ok
    return statistics.median(times), hits / len(frames)


def main() -> None:
    """Print median ms/frame and success rate for both strategies at two resolutions."""
    for size in [(640, 480), (1280, 720)]:
        frames = [
            render_frame(PAYLOAD, size, d, seed=s) for d in HARD_CASES.values() for s in SEEDS
        ]
        base_ms, base_ok = run(decode_full_frame, frames)
        ours_ms, ours_ok = run(decode_qr, frames)
        print(
            f"{size[0]}x{size[1]} ({len(frames)} distorted frames): "
            f"full-frame pyzbar {base_ms:.1f} ms/frame, {base_ok:.0%} decoded | "
            f"staged downscale+binarise {ours_ms:.1f} ms/frame, {ours_ok:.0%} decoded"
        )


if __name__ == "__main__":
    main()
