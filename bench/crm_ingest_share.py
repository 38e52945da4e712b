"""What incremental CRM tagging adds to ingest: the same member orders written by the
ingest writer with every side effect, and with every side effect but ``retag_on_ingest``.

    .venv/bin/python bench/crm_ingest_share.py [--members 5000] [--history 250000]
        [--orders 3000] [--batch 500] [--backend sqlite|postgres]

A hub database gets ``--members`` members and ``--history`` past orders (the generator of
``bench/crm_refresh.py``: 50 orders a member by default, as the issue's 100,000 / 5,000,000),
the ten shipped rules, then ``--orders`` new member orders arrive in batches of ``--batch``.
The two writers take turns, a whole batch each, on the same database, so load on a shared
machine hits both alike (use an even number of batches). The figure is
the time ``retag_on_ingest`` adds per batch, as a share of the batch without it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

import sqlalchemy as sa  # noqa: E402
from bench_db import scratch_hub  # noqa: E402
from crm_refresh import generate  # noqa: E402
from ingest_common import PG_URL  # noqa: E402
from sqlmodel import Session  # noqa: E402

from hub.crm import tags  # noqa: E402
from hub.crm.jobs import retag_on_ingest  # noqa: E402
from hub.ingest import handlers  # noqa: E402
from hub.ingest.classify import Inbound  # noqa: E402
from hub.ingest.writer import BatchWriter  # noqa: E402
from hub.models import Device, DeviceKind  # noqa: E402
from protocol import encode, make_envelope, new_order_id  # noqa: E402

DEVICES = ["k1", "k2", "k3", "k4"]


def member_orders(members: list[str], n: int, seed: int = 3) -> list[Inbound]:
    """``n`` order.placed messages of known members, one dish each, paid at the counter."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        d = rng.randrange(20)
        price = 800 + d * 50
        draft = {"meal_period": "lunch", "member_id": rng.choice(members),
                 "lines": [{"dish_id": f"d{d}", "name_zh": "菜", "name_en": "dish", "qty": 1,
                            "unit_price_cents": price, "line_total_cents": price,
                            "station": f"s{d % 4}"}],
                 "subtotal_cents": price, "total_cents": price,
                 "payments": [{"method": "counter", "amount_cents": price}], "paid": False,
                 "order_id": new_order_id(), "order_no": f"A{i % 9999:04d}",
                 "placed_at": datetime.now(UTC)}
        env = make_envelope("order.placed", draft, site="bench",
                            device=DEVICES[i % len(DEVICES)])
        out.append(Inbound(env.topic(), encode(env), i))
    return out


def main() -> int:
    """Generate, ingest with and without incremental tagging, print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=5_000)
    p.add_argument("--history", type=int, default=250_000)
    p.add_argument("--orders", type=int, default=4_000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    args = p.parse_args()
    url = PG_URL if args.backend == "postgres" else None
    with scratch_hub(url, prefix="crm_ingest") as engine:
        t0 = time.perf_counter()
        generate(engine, args.members, args.history)
        with engine.begin() as conn:
            site = conn.execute(sa.text("SELECT id FROM site WHERE code = 'bench'")).scalar_one()
            for code in DEVICES:
                conn.execute(sa.insert(Device.__table__).values(
                    code=code, kind=DeviceKind.KIOSK.value, site_id=site, active=True,
                    created_at=datetime.now(UTC)))
            members = list(conn.execute(sa.text("SELECT member_no FROM member")).scalars())
        with Session(engine) as session:  # the shipped rules and their last full refresh
            rules = len(tags.refresh_all(session))
        print(f"{engine.dialect.name}: {args.members:,} members, {args.history:,} past orders,"
              f" {rules} tag rules (generated in {time.perf_counter() - t0:.0f} s)")
        inbound = member_orders(members, args.orders + 2)
        writer = BatchWriter(engine)
        without = {k: tuple(h for h in v if h is not retag_on_ingest)
                   for k, v in handlers.HANDLERS.items()}
        writer.write(inbound[:2])  # connect, warm the directory cache
        timed = {"with": 0.0, "without": 0.0}
        batches = [inbound[i:i + args.batch] for i in range(2, len(inbound), args.batch)]
        done = {"with": 0, "without": 0}
        for n, batch in enumerate(batches):  # whole batches, taking turns
            name = ("with", "without")[n % 2]
            registry = handlers.HANDLERS if name == "with" else without
            with mock.patch.dict(handlers.HANDLERS, registry):
                t = time.perf_counter()
                writer.write(batch)
                timed[name] += time.perf_counter() - t
            done[name] += len(batch)
        assert writer.counts["ok"] == len(inbound), writer.counts
        w = timed["with"] / max(1, done["with"]) * 1e6
        wo = timed["without"] / max(1, done["without"]) * 1e6
        print(f"| ingest writer, {args.orders:,} member orders in batches of {args.batch}"
              " | µs per order |")
        print("|---|---:|")
        print(f"| every side effect but incremental tagging (baseline) | {wo:,.0f} |")
        print(f"| every side effect, incremental tagging on | {w:,.0f} |")
        print(f"| incremental tagging adds | {(w - wo) / wo:+.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
