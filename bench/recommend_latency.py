"""Recommender inference latency: onnxruntime vs the numpy reference, 100/500/2,000 dishes.

One command: ``python bench/recommend_latency.py``. Prints p50/p99 per size for both
runtimes (same model, same inputs, same run) and the ONNX file size.
"""

from __future__ import annotations

import time

import numpy as np

from models.recommend.data import menu_matrix
from models.recommend.features import context_vector
from models.recommend.model import recommend_reference
from models.recommend.onnx_graph import OnnxRecommender, to_bytes
from models.recommend.synth import generate
from models.recommend.train import PREF_TAGS, train

RUNS = 2000


def _pct(samples: list[float]) -> tuple[float, float]:
    a = np.asarray(samples) * 1e3
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def main() -> None:
    """Print the table."""
    print(f"{'dishes':>7} {'onnx p50 ms':>12} {'onnx p99 ms':>12} {'numpy p50 ms':>13}"
          f" {'numpy p99 ms':>13} {'file KiB':>9}")
    for n in (100, 500, 2000):
        canteen = generate(1, members=300, days=21, dishes=n)
        model = train(canteen.log, menus=menu_matrix(canteen.menus(), canteen.log.dish_ids),
                      tune=False)
        blob = to_bytes(model)
        runner = OnnxRecommender.load(blob)
        rng = np.random.default_rng(0)
        onnx_t, np_t = [], []
        for i in range(RUNS):
            h = (rng.random((1, n)) * (rng.random((1, n)) < 0.05) * 3).astype(np.float32)
            ctx = context_vector(1, i % 7, (), PREF_TAGS)
            mask = rng.random((1, n)) < 0.3
            t = time.perf_counter()
            runner.top_k(h, ctx, mask, 6)
            onnx_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            recommend_reference(model, h, ctx, mask, 6)
            np_t.append(time.perf_counter() - t)
        o50, o99 = _pct(onnx_t[100:])
        n50, n99 = _pct(np_t[100:])
        print(f"{n:>7} {o50:>12.3f} {o99:>12.3f} {n50:>13.3f} {n99:>13.3f}"
              f" {len(blob) / 1024:>9.0f}")


if __name__ == "__main__":
    main()
