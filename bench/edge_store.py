"""Kiosk transaction cost (order + lines + outbox row, one commit): synchronous FULL vs NORMAL.

Run: .venv/bin/python bench/edge_store.py [--orders 3000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from edge_agent.db import Synchronous
from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from edge_agent.store import DeviceStore


def measure(sync: Synchronous, n: int, workdir: Path) -> list[float]:
    """Microseconds per record_order call, n calls on a fresh store."""
    rng = random.Random(1)
    drafts = [make_draft(rng, FALLBACK_DISHES) for _ in range(n)]
    out = []
    with DeviceStore(
        workdir / f"{sync}.db", site_id="s1", device_id="k1", synchronous=sync
    ) as store:
        for d in drafts:
            t0 = time.perf_counter_ns()
            store.record_order(d)
            out.append((time.perf_counter_ns() - t0) / 1000)
    return out


def main() -> None:
    """Print median / p99 per synchronous mode."""
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=3000)
    p.add_argument("--dir", type=Path, default=None, help="where to put the files (default: tmp)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        modes: tuple[Synchronous, ...] = ("NORMAL", "FULL")
        for sync in modes:
            us = sorted(measure(sync, args.orders, Path(tmp)))
            print(
                f"synchronous={sync:6s} n={len(us)} median={statistics.median(us):7.0f} us "
                f"p99={us[int(len(us) * 0.99)]:7.0f} us  max={us[-1]:7.0f} us"
            )


if __name__ == "__main__":
    main()
