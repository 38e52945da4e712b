"""QR decode rate and time per frame, per decoder and resolution, on seeded hard frames.

Run: python bench/hardware_qr.py [--frames 200]

Frames come from the project's generator (hardware.sim.camera.sample_frames, seed 2026, a set
the tests do not use): modules 3-8 px at 640x480, rotation ±60°, perspective, blur, noise, dim
and low-contrast screens. 1280x720 twice: the same scenes seen by the sharper camera (modules
1.5x larger), and codes as small in pixels as at 640x480. Every decoder runs on the same frames
in the same run, so the baselines share the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.camera.decode import (
    ZX_QR,
    decode_full_frame,
    decode_qr,
    decode_qr_pyzbar,
    reading_pass,
    zxing_qr,
)
from hardware.sim.camera import Distortion, render_frame, sample_frames

PAYLOAD = "MEMBER:0190f3a2-7b1c-7d00-8000-000000000001"
SEED = 2026
Decoder = Callable[[np.ndarray], list[str]]


def _gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def zxing_defaults(frame: np.ndarray) -> list[str]:
    """zxing-cpp as it comes: every option at its default, QR Model 2 only."""
    found = zxingcpp.read_barcodes(_gray(frame), formats=ZX_QR)
    return [r.text for r in found]


def zxing_blur3_only(frame: np.ndarray) -> list[str]:
    """decode_qr's fast path alone (no extra passes)."""
    return zxing_qr(cv2.GaussianBlur(_gray(frame), (3, 3), 0))


def cascade_then_pyzbar(frame: np.ndarray) -> list[str]:
    """decode_qr, then the pyzbar pipeline on what it missed: does pyzbar still pay?"""
    return decode_qr(frame) or decode_qr_pyzbar(frame)


DECODERS: dict[str, Decoder] = {
    "pyzbar full frame (library default)": decode_full_frame,
    "pyzbar staged (decode_qr before)": decode_qr_pyzbar,
    "zxing-cpp defaults": zxing_defaults,
    "zxing-cpp blur3 (fast path only)": zxing_blur3_only,
    "decode_qr (zxing cascade)": decode_qr,
    "decode_qr + pyzbar last": cascade_then_pyzbar,
}


def measure(
    decoder: Decoder, frames: list[np.ndarray], expect: list[str], repeats: int
) -> tuple[float, ...]:
    """Read rate, median ms and p95 ms over the frames.

    Each frame's time is the best of `repeats` runs: on a shared machine a run that lost the CPU
    to another process measures the neighbours, not the decoder.
    """
    times, hits = [], 0
    for frame in frames:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            found = decoder(frame)
            best = min(best, (time.perf_counter() - start) * 1000)
        times.append(best)
        hits += found == expect
    p95 = statistics.quantiles(times, n=20)[-1]
    return hits / len(frames), statistics.median(times), p95


def main() -> None:
    """Print one table per frame set: rate, median and p95 per decoder; then where passes read."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3, help="runs per frame, the best one counts")
    args = ap.parse_args()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load {load}; "
        f"{args.frames} frames per set, seed {SEED}, best of {args.repeats} runs per frame"
    )
    sets = [
        ("640x480", (640, 480), None),
        ("1280x720, same scenes", (1280, 720), None),
        ("1280x720, modules 3-8 px", (1280, 720), 1.0),
    ]
    for title, size, scale in sets:
        frames = [f for _, f in sample_frames(PAYLOAD, args.frames, size, seed=SEED, scale=scale)]
        print(f"\n{title}: {len(frames)} hard frames")
        print(f"| {'decoder':38s} | read | median ms | p95 ms |")
        print(f"|{'-' * 40}|------|-----------|--------|")
        for name, decoder in DECODERS.items():
            rate, median, p95 = measure(decoder, frames, [PAYLOAD], args.repeats)
            print(f"| {name:38s} | {rate:4.1%} | {median:9.2f} | {p95:6.2f} |")
        passes = Counter(reading_pass(f, PAYLOAD) for f in frames)
        print("decode_qr, first pass that reads:", dict(passes.most_common()))
        empty = [render_frame(PAYLOAD, size, Distortion(code_px=8), seed=i) for i in range(30)]
        _, median, p95 = measure(decode_qr, empty, [], args.repeats)
        print(
            f"decode_qr on frames without a code (all passes): {median:.2f} ms median, "
            f"{p95:.2f} ms p95"
        )


if __name__ == "__main__":
    main()
