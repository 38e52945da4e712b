"""CRM refresh at scale: full tag refresh, RFM/churn refresh and a segment count,
set-based, against a per-member Python loop measured in the same run (issue 13).

    .venv/bin/python bench/crm_refresh.py [--members 100000] [--orders 5000000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--loop-sample 200]

Generates members and orders (one line each, dishes with tags, modifiers) into a fresh
schema (PostgreSQL) or SQLite file, then times: every shipped rule for every member; the
scores of every member; one segment count; and the baseline: the same rules evaluated one
member at a time (on ``--loop-sample`` members, extrapolated to all of them).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_db import scratch_hub

from hub.crm import definitions, member_scores, segments, tags
from hub.crm import query as q
from hub.models.crm import TagRule

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def generate(engine: sa.Engine, members: int, orders: int, seed: int = 13) -> None:
    """Members, a site, 20 dishes and ``orders`` orders over 180 days."""
    rng = np.random.default_rng(seed)
    with engine.begin() as conn:
        site = conn.execute(sa.insert(q.SITE).values(
            code="bench", name_zh="食堂", name_en="Canteen", timezone="Asia/Shanghai",
            active=True, created_at=AT).returning(q.SITE.c.id)).scalar_one()
        dish_ids = []
        for i in range(20):
            tagset = ["spicy"] if i % 4 == 0 else (["dessert"] if i % 7 == 0 else [])
            dish_ids.append(conn.execute(sa.insert(q.DISH).values(
                code=f"d{i}", name_zh=f"菜{i}", name_en=f"dish {i}", description_zh="",
                description_en="", category="dessert" if i % 7 == 0 else "meat",
                price_cents=1000, tags=tagset, allergens=[], station=f"s{i % 4}",
                active=True, created_at=AT).returning(q.DISH.c.id)).scalar_one())
        conn.execute(sa.insert(q.M), [{
            "member_no": f"B{i:07d}", "name": f"m{i}", "dietary_preferences": [],
            "allergens": [], "active": True, "created_at": AT, "department": f"dept{i % 30}",
            "birthday": datetime(1990, 1 + i % 12, 1 + i % 28).date(),
        } for i in range(members)])
        first = conn.execute(sa.select(sa.func.min(q.M.c.id))).scalar_one()
    rate = rng.gamma(1.5, 1.0, members)
    rate /= rate.sum()
    who = rng.choice(members, orders, p=rate) + first
    when = rng.uniform(0, 180 * 86400, orders)
    dish = rng.integers(0, 20, orders)
    if engine.dialect.name == "postgresql":
        _sql_orders(engine, site, dish_ids, members, first, orders)
        return
    batch = 20000
    for start in range(0, orders, batch):
        end = min(start + batch, orders)
        rows, lines = [], []
        for i in range(start, end):
            row, line = _order(i, site, dish_ids, who, when, dish)
            rows.append(row)
            lines.append(line)
        with engine.begin() as conn:
            conn.execute(sa.insert(q.O), rows)
            conn.execute(sa.insert(q.L), lines)
        print(f"\r  generated {end:,} orders", end="", flush=True)
    print()


def _order(i: int, site: int, dish_ids: list[int], who: np.ndarray, when: np.ndarray,
           dish: np.ndarray) -> tuple[dict[str, object], dict[str, object]]:
    """Order ``i`` (one line) as rows of ``orders`` and ``order_line``."""
    oid = str(uuid.UUID(int=i + 1))  # deterministic, unique
    placed = AT - timedelta(seconds=float(when[i]))
    d = int(dish[i])
    total = 800 + d * 50
    return ({"id": oid, "order_no": f"N{i}", "site_id": site, "member_id": int(who[i]),
             "placed_at": placed, "meal_period": ("breakfast", "lunch", "dinner")[i % 3],
             "subtotal_cents": total, "discount_cents": 0, "total_cents": total, "paid": True,
             "offline": False, "received_at": placed},
            {"order_id": oid, "line_no": 1, "dish_id": dish_ids[d], "dish_code": f"d{d}",
             "name_zh": "菜", "name_en": "dish", "qty": 1, "unit_price_cents": total,
             "line_total_cents": total, "station": f"s{d % 4}"})


def _sql_orders(engine: sa.Engine, site: int, dish_ids: list[int], members: int, first: int,
                orders: int) -> None:
    """Generate the orders inside PostgreSQL (generate_series, seeded random): millions of
    rows without a round trip each. Members are drawn heavy-tailed, as in the Python path."""
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT setseed(0.13)"))
        conn.execute(sa.text(
            "CREATE TEMP TABLE gen ON COMMIT DROP AS SELECT g,"
            " :first + floor(:members * power(random(), 2.5))::int AS member_id,"
            " :at - random() * interval '180 days' AS placed_at,"
            " floor(random() * 20)::int AS d FROM generate_series(0, :n - 1) AS g"),
            {"first": first, "members": members, "at": AT, "n": orders})
        conn.execute(sa.text(
            "INSERT INTO orders (id, order_no, site_id, member_id, placed_at, meal_period,"
            " subtotal_cents, discount_cents, total_cents, paid, offline, received_at)"
            " SELECT md5(g::text)::uuid::text, 'N' || g, :site, member_id, placed_at,"
            " (ARRAY['breakfast', 'lunch', 'dinner'])[g % 3 + 1], 800 + d * 50, 0,"
            " 800 + d * 50, true, false, placed_at FROM gen"), {"site": site})
        conn.execute(sa.text(
            "INSERT INTO order_line (order_id, line_no, dish_id, dish_code, name_zh, name_en,"
            " qty, unit_price_cents, line_total_cents, station)"
            " SELECT md5(g::text)::uuid::text, 1, (:dishes)[d + 1], 'd' || d, '菜', 'dish', 1,"
            " 800 + d * 50, 800 + d * 50, 's' || (d % 4) FROM gen"), {"dishes": dish_ids})
    # Fresh statistics: planned on the empty tables' estimates, the rules' grouped
    # subqueries run as nested loops (a refresh of 5 M orders took over 12 minutes).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    print(f"  generated {orders:,} orders (in PostgreSQL)")


def main() -> int:
    """Generate, refresh, compare; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--loop-sample", type=int, default=200)
    args = parser.parse_args()
    with scratch_hub(args.database_url, prefix="crm_bench") as engine:
        t0 = time.perf_counter()
        generate(engine, args.members, args.orders)
        print(f"{engine.dialect.name}: {args.members:,} members, {args.orders:,} orders "
              f"(generated in {time.perf_counter() - t0:.0f} s)")
        with Session(engine) as session:
            t0 = time.perf_counter()
            results = tags.refresh_all(session, at=AT)
            tag_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = member_scores.refresh_now(session, at=AT)
            score_s = time.perf_counter() - t0
            seg = {"kind": "all", "items": [{"kind": "tag", "tag": "big_spender"},
                                            {"kind": "recency", "op": "<=", "days": 30}]}
            t0 = time.perf_counter()
            count = segments.count_definition(session, seg, at=AT)
            seg_s = time.perf_counter() - t0
            rules = list(session.exec(select(TagRule)).all())
            conn = session.connection()
            sample = list(conn.execute(sa.select(q.M.c.id).order_by(q.M.c.id)
                                       .limit(args.loop_sample)).scalars())
            t0 = time.perf_counter()
            for member in sample:  # the baseline: one member at a time, every rule
                for rule in rules:
                    node = definitions.parse(rule.definition, for_rule=True)
                    ctx = q.make_context(conn, AT, state=rule.state)
                    conn.execute(q.matching(ctx, node, members=[member])).all()
            loop_s = (time.perf_counter() - t0) / max(len(sample), 1) * args.members
        print(f"full tag refresh, {len(results)} rules: {tag_s:.2f} s "
              f"({sum(r.matched for r in results):,} tags)")
        print(f"  per-member loop baseline: {loop_s:.1f} s (extrapolated from "
              f"{len(sample)} members) -> {loop_s / tag_s:.1f}x")
        print(f"RFM + churn refresh: {score_s:.2f} s ({report.members:,} members, "
              f"{report.method})")
        print(f"segment count (big_spender AND visited in 30 days): {seg_s * 1000:.0f} ms "
              f"-> {count:,} members")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
