"""In-process cost of the ingest write path (no broker): parse, batch write, side effects.

Feeds ready-made order messages to ``BatchWriter.write`` in batches of 500 and reports
orders/s and µs per order for: parse + digest alone (``classify``), the writer with the
handler registry emptied (rows only, the baseline of the side effects), and the full
writer (handlers on). SQLite and PostgreSQL, same run. Good for profiling:
``py-spy record -o out.svg -- .venv/bin/python bench/ingest_writer.py --only full``.

Run: .venv/bin/python bench/ingest_writer.py [--orders 5000] [--batch 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from ingest_common import hub_db, make_orders  # noqa: E402

from hub.db import make_engine  # noqa: E402
from hub.ingest import handlers  # noqa: E402
from hub.ingest.classify import Inbound, classify  # noqa: E402
from hub.ingest.writer import BatchWriter  # noqa: E402

DEVICES = ["k1", "k2", "k3", "k4"]


def parse_only(inbound: list[Inbound]) -> float:
    """Seconds to classify (parse, validate, topic check, digest) every message."""
    t0 = time.perf_counter()
    for m in inbound:
        classify(m)
    return time.perf_counter() - t0


def write_all(work: Path, backend: str, inbound: list[Inbound], batch: int,
              with_handlers: bool) -> float:
    """Seconds for BatchWriter to write every message in batches (fresh database)."""
    with hub_db(work, backend, DEVICES) as settings:
        engine = make_engine(settings)
        writer = BatchWriter(engine)
        registry = handlers.HANDLERS if with_handlers else {k: () for k in handlers.HANDLERS}
        with mock.patch.dict(handlers.HANDLERS, registry):
            writer.write(inbound[:1])  # connect, warm the directory cache
            t0 = time.perf_counter()
            for start in range(1, len(inbound), batch):
                writer.write(inbound[start : start + batch])
            elapsed = time.perf_counter() - t0
        assert writer.counts["ok"] == len(inbound), writer.counts
        engine.dispose()
    return elapsed


def main() -> None:
    """Print a Markdown table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--orders", type=int, default=5_000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--only", choices=("parse", "rows", "full"))
    p.add_argument("--backend", choices=("sqlite", "postgres"))
    args = p.parse_args()
    n = args.orders + 1
    inbound = [Inbound(topic, raw, i) for i, (_, _, topic, raw) in
               enumerate(make_orders(DEVICES, n))]
    rows: list[tuple[str, str, float]] = []
    if args.only in (None, "parse"):
        rows.append(("parse + digest (classify)", "-", parse_only(inbound[1:])))
    backends = (args.backend,) if args.backend else ("sqlite", "postgres")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for backend in backends:
            if args.only in (None, "rows"):
                rows.append(("writer, rows only (handlers emptied)", backend,
                             write_all(work, backend, inbound, args.batch, False)))
            if args.only in (None, "full"):
                rows.append(("writer with handlers (tracking, payments, coupons)", backend,
                             write_all(work, backend, inbound, args.batch, True)))
    print(f"| step ({args.orders:,} orders, batches of {args.batch}) | database "
          "| orders/s | µs per order |")
    print("|---|---|---:|---:|")
    for name, db, secs in rows:
        print(f"| {name} | {db} | {args.orders / secs:,.0f} | {secs / args.orders * 1e6:,.0f} |")


if __name__ == "__main__":
    main()
