"""False accepts and false rejects against the match distance, on the face data we can get
offline, to choose ``models.face.matcher.MATCH_THRESHOLD``.

One command: ``python bench/face_threshold.py [--images DIR]``. What ships in installed
packages (nothing is downloaded):
- genuine: scikit-image's astronaut (one person) enrolled from 3 frontal frames, probed
  with 40 camera frames of her (light, blur, noise, size, position, a small head turn);
- impostor: the 100 face crops of ``skimage.data.lfw_subset`` (LFW, 25x25, unlabelled:
  each is someone other than the astronaut) probed against her template.
``--images DIR``: folders of labelled photos, one folder per person (e.g. the 5 photos
in tests/test_images of the face_recognition 1.3.0 sdist); every same-folder pair is
genuine, every cross-folder pair an impostor. The baseline is dlib's published LFW
operating point (0.6), measured in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.sim.face_camera import Pose, packaged_people, render
from models.face.dlib_models import default_pipeline
from models.face.matcher import MATCH_THRESHOLD
from models.face.quality import check_frame

THRESHOLDS = [0.35, 0.40, 0.45, 0.50, 0.55, 0.60]


def _embed_frame(pipeline, rgb):  # type: ignore[no-untyped-def]
    faces = pipeline.find(rgb)
    return pipeline.embed(rgb, faces[0]) if faces else None


def main(argv: list[str] | None = None) -> int:
    """Measure and print FAR/FRR per threshold."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=Path, default=None)
    args = parser.parse_args(argv)
    p = default_pipeline()
    person = packaged_people()["astronaut"]
    enrol = []
    for i in range(3):
        frame = render(person, Pose(dx=4 * i), seed=100 + i)
        check = check_frame(p, frame)
        assert check.face is not None
        enrol.append(p.embed(frame, check.face))
    template = np.mean(enrol, axis=0)
    rng = np.random.default_rng(3)
    genuine: list[float] = []
    for i in range(40):
        pose = Pose(face_px=int(rng.integers(110, 220)), gain=float(rng.uniform(0.6, 1.3)),
                    blur=int(rng.choice([0, 0, 3, 5])), noise=float(rng.uniform(1, 8)),
                    dx=int(rng.integers(-100, 100)), dy=int(rng.integers(-40, 40)),
                    turn=float(rng.uniform(-0.04, 0.04)))
        v = _embed_frame(p, render(person, pose, seed=i))
        if v is not None:
            genuine.append(float(np.linalg.norm(v - template)))
    from skimage import data

    lfw = data.lfw_subset()[:100]  # the first 100 are faces
    impostor: list[float] = []
    for face in lfw:
        chip = cv2.resize((face * 255).astype(np.uint8), (150, 150),
                          interpolation=cv2.INTER_CUBIC)
        v = p.embedder.embed(np.ascontiguousarray(cv2.cvtColor(chip, cv2.COLOR_GRAY2RGB)))
        impostor.append(float(np.linalg.norm(v - template)))
    sources = ["packaged: astronaut x40 genuine, lfw_subset x100 impostor"]
    if args.images:
        people: dict[str, list[np.ndarray]] = {}
        for folder in sorted(d for d in args.images.iterdir() if d.is_dir()):
            for f in sorted(folder.iterdir()):
                img = cv2.imread(str(f))
                if img is None:
                    continue
                v = _embed_frame(p, np.ascontiguousarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)))
                if v is not None:
                    people.setdefault(folder.name, []).append(v)
        for vecs in people.values():
            genuine += [float(np.linalg.norm(a - b)) for a, b in itertools.combinations(vecs, 2)]
        for (_, va), (_, vb) in itertools.combinations(people.items(), 2):
            impostor += [float(np.linalg.norm(a - b)) for a in va for b in vb]
        sources.append(f"--images: {', '.join(f'{k} x{len(v)}' for k, v in people.items())}")
    g, im = np.array(genuine), np.array(impostor)
    print("data:", "; ".join(sources))
    print(f"pairs: {len(g)} genuine, {len(im)} impostor")
    print(f"genuine distance  min {g.min():.3f} median {np.median(g):.3f} max {g.max():.3f}")
    print(f"impostor distance min {im.min():.3f} median {np.median(im):.3f} max {im.max():.3f}")
    print("threshold   FAR (impostor accepted)   FRR (genuine rejected)")
    for t in THRESHOLDS:
        mark = " <- chosen" if abs(t - MATCH_THRESHOLD) < 1e-9 else \
            (" <- dlib LFW baseline" if t == 0.60 else "")
        print(f"  {t:.2f}      {np.mean(im <= t) * 100:6.2f} % ({int(np.sum(im <= t))})"
              f"            {np.mean(g > t) * 100:6.2f} % ({int(np.sum(g > t))}){mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
