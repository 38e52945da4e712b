"""Publish -> event.ack latency at a steady 50 orders/s through a real worker (p50/p99).

Compared in the same run: batched worker (max wait 20 ms) vs one commit per
message, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/ingest_latency.py [--rate 50] [--seconds 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from ingest_common import Fleet, broker, hub_db, make_orders, workers  # noqa: E402

DEVICES = ["k1", "k2", "k3"]


def measure(work: Path, backend: str, rate: float, seconds: float, *args: str) -> list[float]:
    """Milliseconds from publish to ack, one value per order."""
    n = int(rate * seconds)
    orders = make_orders(DEVICES, n)
    sent: dict[str, float] = {}
    with broker(work) as b, hub_db(work, backend, DEVICES) as settings, \
            workers(settings, b, 1, *args):
        fleet = Fleet(b, DEVICES)
        fleet.expect = n
        next_at = time.perf_counter()
        for device, mid, topic, raw in orders:
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent[mid] = time.perf_counter()
            fleet.publish(device, topic, raw)
            next_at += 1 / rate
        if not fleet.done.wait(60):
            raise RuntimeError(f"only {len(fleet.acked)} of {n} acknowledged")
        fleet.close()
    return [(fleet.acked[m] - t) * 1000 for m, t in sent.items()]


def main() -> None:
    """Print p50/p99 per configuration as a Markdown table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--seconds", type=float, default=15.0)
    args = p.parse_args()
    print(f"| worker | database | orders | p50 ms | p99 ms | max ms |  (steady {args.rate:g}/s)")
    print("|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("sqlite", "postgres"):
            for name, extra in (("batched (<=500 / 5 ms)", ()),
                                ("one commit per message", ("--max-batch", "1"))):
                ms = sorted(measure(Path(tmp), backend, args.rate, args.seconds, *extra))
                p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
                print(f"| {name} | {backend} | {len(ms)} | {statistics.median(ms):.1f} | "
                      f"{p99:.1f} | {ms[-1]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
