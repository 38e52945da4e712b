"""Face-ID per frame on this machine: detect + align + embed + match against 5,000 templates.

One command: ``python bench/face_match.py``. The match is one matrix product
(``models.face.matcher.TemplateIndex``); the baseline, measured in the same run, is a
Python loop over the same templates. Frames are the packaged astronaut rendered by the
face camera simulator (640x480). Prints the per-stage medians and the memory of 5,000
templates. Target: under 150 ms per frame.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.sim.face_camera import Pose, packaged_people, render
from models.face.dlib_models import default_pipeline
from models.face.matcher import TemplateIndex, match_loop
from models.face.quality import check_frame
from models.face.types import DetectedFace


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--templates", type=int, default=5000)
    parser.add_argument("--frames", type=int, default=15)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    pipeline = default_pipeline()
    load_s = time.perf_counter() - started
    person = packaged_people()["astronaut"]
    frames = [render(person, Pose(dx=(i % 5) * 4), seed=i) for i in range(args.frames)]
    probe = check_frame(pipeline, frames[0])
    assert probe.face is not None, probe.problem
    me = pipeline.embed(frames[0], probe.face)
    rng = np.random.default_rng(1)
    others = rng.normal(0, 1, (args.templates - 1, 128)).astype(np.float32)
    others *= float(np.linalg.norm(me)) / np.linalg.norm(others, axis=1, keepdims=True)
    keys = [f"m-{i:05d}" for i in range(args.templates - 1)] + ["astronaut"]
    vectors = np.vstack([others, me[None, :]])
    index = TemplateIndex(keys, vectors)
    rows = list(vectors)

    detect, align, embed, matrix, loop, total = [], [], [], [], [], []
    for frame in frames:
        t0 = time.perf_counter()
        boxes = pipeline.detector.detect(frame)
        t1 = time.perf_counter()
        assert boxes
        face = DetectedFace(boxes[0], pipeline.aligner.landmarks(frame, boxes[0]))
        chip = pipeline.aligner.chip(frame, face)
        t2 = time.perf_counter()
        vec = pipeline.embedder.embed(chip)
        t3 = time.perf_counter()
        m = index.match(vec)
        t4 = time.perf_counter()
        assert m.key == "astronaut", m
        key, _d = match_loop(keys, rows, vec)
        t5 = time.perf_counter()
        assert key == "astronaut"
        detect.append(t1 - t0)
        align.append(t2 - t1)
        embed.append(t3 - t2)
        matrix.append(t4 - t3)
        loop.append(t5 - t4)
        total.append(t4 - t0)
    print(f"face pipeline {pipeline.model}: models loaded in {load_s * 1000:.0f} ms")
    print(f"frames: {len(frames)} at 640x480, templates: {args.templates}")
    print(f"  detect (HOG)             {_ms(detect):8.2f} ms")
    print(f"  align (5 points + chip)  {_ms(align):8.2f} ms")
    print(f"  embed (ResNet, 128-d)    {_ms(embed):8.2f} ms")
    print(f"  match, matrix product    {_ms(matrix):8.2f} ms")
    print(f"  match, Python loop       {_ms(loop):8.2f} ms  (baseline, "
          f"{statistics.median(loop) / statistics.median(matrix):.0f}x slower)")
    med = _ms(total)
    print(f"  per frame (matrix)       {med:8.2f} ms  target < 150 ms: "
          f"{'met' if med < 150 else 'NOT met'}")
    as_lists = sum(sys.getsizeof(r.tolist()) + 128 * 24 for r in rows[:100])
    print(f"memory of {args.templates} templates: {index.nbytes / 1024:.0f} KiB "
          f"(float32 matrix + norms); as Python float lists: "
          f"{as_lists * args.templates // 100 // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
