"""What back-flushing consumption adds to ingest: the same batches of orders written by the
BatchWriter with every handler (back-flush included) and with the back-flush handler taken
out, in the same run, alternating, each on a fresh database (SQLite, or PostgreSQL with
--pg). Every dish of the orders has a recipe (the worst case: a batch with no recipe costs
one query). Prints ms per batch of each and the overhead of back-flushing.

Run: .venv/bin/python bench/supply_backflush.py [--orders 5000] [--batch 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from hub.ingest import handlers  # noqa: E402
from hub.ingest.classify import Inbound  # noqa: E402
from hub.ingest.writer import BatchWriter  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.supply.backflush import backflush  # noqa: E402
from tests.support.supply import DISHES, make_canteen, order_message  # noqa: E402

PG_URL = os.environ.get("CANTEEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def make_orders(n: int, seed: int = 7) -> list[Inbound]:
    """n orders of 1-4 dishes (one weighed in four) from two kiosks over a week."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    codes = [d[0] for d in DISHES]
    out = []
    for i in range(n):
        lines = [(c, rng.choice((1, 1, 2)), 300 if c == "d-buffet" else None)
                 for c in rng.sample(codes, rng.randint(1, 4))]
        lines = [(c, 1 if w else q, w) for c, q, w in lines]
        out.append(order_message(f"k{1 + i % 2}", start + timedelta(seconds=i * 60), lines))
    return out


def run(work: Path, orders: list[Inbound], batch: int, with_backflush: bool,
        pg_schema: str | None) -> list[float]:
    """Seconds per batch for one variant on a fresh database."""
    work.mkdir(parents=True)
    settings = Settings(demo_mode=True, data_dir=work, auto_migrate=True,
                        **({"database_url": PG_URL, "db_schema": pg_schema} if pg_schema else {}))
    canteen = make_canteen(settings)
    writer = BatchWriter(canteen.engine)
    placed = tuple(h for h in handlers.HANDLERS["order.placed"]
                   if with_backflush or h is not backflush)
    times = []
    with mock.patch.dict(handlers.HANDLERS, {"order.placed": placed}):
        writer.write(orders[:1])  # connect, warm the directory cache
        for start in range(1, len(orders), batch):
            t0 = time.perf_counter()
            writer.write(orders[start:start + batch])
            times.append(time.perf_counter() - t0)
    assert writer.counts["ok"] == len(orders), writer.counts
    canteen.engine.dispose()
    return times


def main() -> None:
    """Print ms per batch with and without back-flush, and the overhead."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--orders", type=int, default=5000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pg", action="store_true", help="PostgreSQL at 127.0.0.1:5432/test")
    args = p.parse_args()
    orders = make_orders(args.orders + 1)
    per: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for variant in (False, True) if r % 2 == 0 else (True, False):
                schema = f"bench_bf_{r}_{int(variant)}" if args.pg else None
                if schema:
                    import sqlalchemy as sa
                    eng = sa.create_engine(PG_URL)
                    with eng.begin() as c:
                        c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
                per[variant] += run(Path(tmp) / f"r{r}-{int(variant)}", orders, args.batch,
                                    variant, schema)
    base, full = statistics.median(per[False]), statistics.median(per[True])
    backend = "PostgreSQL" if args.pg else "SQLite"
    print(f"{backend}, {args.orders} orders in batches of {args.batch}, {args.rounds} rounds")
    print("| ingest | ms per batch (median) |\n|---|---|")
    print(f"| without back-flush | {base * 1000:.1f} |")
    print(f"| with back-flush | {full * 1000:.1f} |")
    print(f"\nback-flush adds {100 * (full - base) / base:+.1f} % per batch (target < 10 %)")


if __name__ == "__main__":
    main()
