"""Dashboard sales queries over the sales rollups against the raw orders, same run (issue 14).

    .venv/bin/python bench/analytics_rollups.py [--orders 100000] [--days 365] [--sites 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--ingest-orders 2000] [--batch 500]

1. Generates ``--orders`` orders (1-3 lines of 30 dishes, 1-2 payments) over ``--days``
   days on ``--sites`` sites into a fresh schema (PostgreSQL, loaded with COPY) or SQLite
   file, and times ``canteen-hub analytics rebuild-rollups`` over them.
2. Times the dashboard's sales reads (by dish and station, and orders and revenue per site
   and local day for the range and the one before it) for the last 28 days and the last
   365 days of all sites: over the rollups (what the dashboard does now), against the
   raw orders read the way the dashboard read them before (every order and line of both
   ranges, folded in Python), and against a raw SQL GROUP BY over the order lines (dish x
   station only: the kindest raw baseline). Median of 3 runs each; the figures are checked
   to agree.
3. The ingest cost of keeping the rollups: ``--ingest-orders`` order messages written by
   the real ``BatchWriter`` in batches of ``--batch``, with the rollup hook and with it
   replaced by a no-op, same backend, same run.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from ingest_common import hub_db, make_orders  # noqa: E402

from hub.analytics import dashboard, rollups  # noqa: E402
from hub.analytics.inputs import DateRange, placed_in_site_days, resolve_sites  # noqa: E402
from hub.db import make_engine  # noqa: E402
from hub.ingest.classify import Inbound  # noqa: E402
from hub.ingest.writer import BatchWriter  # noqa: E402
from hub.migrate import upgrade_to_head  # noqa: E402
from hub.models.dishes import Dish  # noqa: E402
from hub.models.orders import Order, OrderLine, Payment  # noqa: E402
from hub.models.sites import Site  # noqa: E402
from hub.settings import Settings  # noqa: E402

END = date(2026, 11, 30)
T_ORDER = Order.__table__  # type: ignore[attr-defined]
T_LINE = OrderLine.__table__  # type: ignore[attr-defined]
T_PAY = Payment.__table__  # type: ignore[attr-defined]
T_DISH = Dish.__table__  # type: ignore[attr-defined]
T_SITE = Site.__table__  # type: ignore[attr-defined]
METHODS = ("subsidy", "stored_value", "coupon", "counter")


def _load(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    cols = list(rows[0])
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
            f'COPY "{table.name}" ({", ".join(cols)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in cols])


def generate(engine: sa.Engine, orders: int, days: int, sites: int, seed: int = 14) -> None:
    """Sites, 30 dishes, and ``orders`` orders spread over the ``days`` days up to END."""
    rng = np.random.default_rng(seed)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        site_ids = [conn.execute(sa.insert(T_SITE).values(
            code=f"s{i}", name_zh=f"食堂{i}", name_en=f"Canteen {i}", timezone="Asia/Shanghai",
            active=True, created_at=now).returning(T_SITE.c.id)).scalar_one()
            for i in range(sites)]
        dishes = []
        for i in range(30):
            dishes.append((conn.execute(sa.insert(T_DISH).values(
                code=f"d{i}", name_zh=f"菜{i}", name_en=f"dish {i}", description_zh="",
                description_en="", category=("meat", "veg", "staple")[i % 3],
                price_cents=500 + 50 * i, tags=[], allergens=[], station=f"st{i % 4}",
                active=True, created_at=now).returning(T_DISH.c.id)).scalar_one(), i))
    start = datetime(END.year, END.month, END.day, tzinfo=UTC) - timedelta(days=days - 1)
    day_of = rng.integers(0, days, orders)
    minute = rng.normal(12 * 60 - 8 * 60 + 30, 150, orders).clip(0, 24 * 60 - 1)  # UTC+8
    n_lines = rng.integers(1, 4, orders)
    dish_of = rng.integers(0, 30, (orders, 3))
    site_of = rng.integers(0, sites, orders)
    split = rng.random(orders)
    chunk = 20_000
    for lo in range(0, orders, chunk):
        o_rows, l_rows, p_rows = [], [], []
        for i in range(lo, min(lo + chunk, orders)):
            oid = str(uuid.uuid4())
            at = start + timedelta(days=int(day_of[i]), minutes=float(minute[i]))
            total = 0
            for n in range(int(n_lines[i])):
                dish_id, d = dishes[int(dish_of[i, n])]
                price = 500 + 50 * d
                total += price
                l_rows.append({"order_id": oid, "line_no": n + 1, "dish_id": dish_id,
                               "dish_code": f"d{d}", "name_zh": f"菜{d}", "name_en": f"dish {d}",
                               "qty": 1, "unit_price_cents": price, "line_total_cents": price,
                               "station": f"st{d % 4}"})
            o_rows.append({"id": oid, "order_no": f"N{i}", "site_id": site_ids[int(site_of[i])],
                           "member_id": None, "placed_at": at,
                           "meal_period": "breakfast" if minute[i] < 150 else "lunch",
                           "subtotal_cents": total, "discount_cents": 0, "total_cents": total,
                           "paid": True, "offline": False, "received_at": at})
            first = METHODS[i % len(METHODS)]
            if split[i] < 0.4 and first != "counter":
                part = total * 2 // 3
                p_rows += [{"order_id": oid, "method": first, "amount_cents": part,
                            "created_at": at},
                           {"order_id": oid, "method": "counter", "amount_cents": total - part,
                            "created_at": at}]
            else:
                p_rows.append({"order_id": oid, "method": first, "amount_cents": total,
                               "created_at": at})
        with engine.begin() as conn:
            _load(conn, T_ORDER, o_rows)
            _load(conn, T_LINE, l_rows)
            _load(conn, T_PAY, p_rows)
        print(f"\r  generated {min(lo + chunk, orders):,} orders", end="", flush=True,
              file=sys.stderr)
    print(file=sys.stderr)


def _median(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def over_rollups(session: Session, days: DateRange, sites: list[Any]) -> Any:
    """What the dashboard reads now for its sales charts."""
    sales = dashboard._dish_sales(session, days, sites)
    now = dashboard._site_days(session, days, sites)
    before = dashboard._site_days(session, dashboard.previous_range(days), sites)
    by_dish = Counter({(s.dish_key, s.station): s.cents for s in sales})
    return by_dish, sum(c for _, c in now.values()), sum(c for _, c in before.values())


def over_raw_rows(session: Session, days: DateRange, sites: list[Any]) -> Any:
    """The same figures the way the dashboard read them before: every order and line."""
    lines = dashboard._lines(session, days, sites)
    now = dashboard._orders(session, days, sites)
    before = dashboard._orders(session, dashboard.previous_range(days), sites)
    by_dish: Counter[tuple[str, str]] = Counter()
    per_day: Counter[tuple[str, date]] = Counter()
    for ln in lines:
        by_dish[(ln.dish_key, ln.station)] += ln.cents
    for o in now:
        per_day[(o.site, o.local.date())] += o.total_cents
    return by_dish, sum(per_day.values()), sum(o.total_cents for o in before)


def over_raw_group_by(session: Session, days: DateRange, sites: list[Any]) -> Any:
    """A raw SQL GROUP BY of the lines by dish and station (no per-day figures)."""
    rows = session.execute(
        sa.select(T_LINE.c.dish_code, T_LINE.c.station, sa.func.sum(T_LINE.c.line_total_cents))
        .join(T_ORDER, T_ORDER.c.id == T_LINE.c.order_id)
        .where(placed_in_site_days(days, sites))
        .group_by(T_LINE.c.dish_code, T_LINE.c.station))
    return Counter({(d, s): int(c) for d, s, c in rows})


def queries(engine: sa.Engine) -> list[tuple[str, float, float, float]]:
    """(range, rollups s, raw rows s, raw GROUP BY s) for the last 28 and 365 days."""
    out = []
    with Session(engine) as session:
        sites = resolve_sites(session, None)
        for span in (28, 365):
            days = DateRange(END - timedelta(days=span - 1), END)
            t_roll, a = _median(partial(over_rollups, session, days, sites))
            t_raw, b = _median(partial(over_raw_rows, session, days, sites))
            t_sql, c = _median(partial(over_raw_group_by, session, days, sites))
            assert a == b, "rollups and raw orders disagree"
            assert a[0] == c, "rollups and the raw GROUP BY disagree"
            out.append((f"last {span} days", t_roll, t_raw, t_sql))
    return out


def ingest_cost(backend: str, n: int, batch: int) -> tuple[float, float]:
    """Seconds for BatchWriter to write ``n`` orders with the rollup hook, and without."""
    inbound = [Inbound(topic, raw, i) for i, (_, _, topic, raw)
               in enumerate(make_orders(["k1", "k2", "k3", "k4"], n + 1))]
    found: dict[bool, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for hook in (False, True, False, True):  # alternate: neither gets a warmer cache
            with hub_db(Path(tmp), backend, ["k1", "k2", "k3", "k4"]) as settings:
                engine = make_engine(settings)
                writer = BatchWriter(engine)
                patch = (mock.patch("hub.ingest.writer.add_to_rollups", lambda *a, **k: None)
                         if not hook else mock.patch.dict({}))
                with patch:
                    writer.write(inbound[:1])
                    t0 = time.perf_counter()
                    for lo in range(1, len(inbound), batch):
                        writer.write(inbound[lo:lo + batch])
                    spent = time.perf_counter() - t0
                assert writer.counts["ok"] == len(inbound), writer.counts
                engine.dispose()
            found[hook] = min(found.get(hook, spent), spent)
    return found[True], found[False]


def main() -> int:
    """Generate, rebuild, time the reads and the ingest; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--ingest-orders", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # ingest's per-batch notices are not figures
    if args.orders < 1 or args.days < 1 or args.sites < 1 or args.ingest_orders < 0:
        parser.error("--orders, --days and --sites must be at least 1")
    tmp = Path(tempfile.mkdtemp(prefix="rollup-bench-"))
    schema = None
    if args.database_url:
        import psycopg

        schema = f"rollup_bench_{uuid.uuid4().hex[:8]}"
        dsn = args.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        settings = Settings(_env_file=None, data_dir=tmp, database_url=args.database_url,
                            db_schema=schema, demo_mode=True)
    else:
        settings = Settings(_env_file=None, data_dir=tmp, demo_mode=True)
    engine = make_engine(settings)
    try:
        upgrade_to_head(engine, schema=schema)
        t0 = time.perf_counter()
        generate(engine, args.orders, args.days, args.sites)
        gen_s = time.perf_counter() - t0
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        t0 = time.perf_counter()
        with engine.begin() as conn:
            done = rollups.rebuild(conn)
        rebuild_s = time.perf_counter() - t0
        print(f"{engine.dialect.name}: {args.orders:,} orders over {args.days} days on "
              f"{args.sites} sites (generated in {gen_s:.0f} s); rebuild-rollups "
              f"{rebuild_s:.1f} s -> {done.dish_rows:,} dish rows, {done.slot_rows:,} slot rows")
        print("| range | over rollups | raw orders (as before) | raw GROUP BY (dish only) "
              "| speed-up vs raw orders |")
        print("|---|---:|---:|---:|---:|")
        for name, t_roll, t_raw, t_sql in queries(engine):
            print(f"| {name} | {t_roll * 1000:,.1f} ms | {t_raw * 1000:,.1f} ms "
                  f"| {t_sql * 1000:,.1f} ms | {t_raw / t_roll:,.0f}x |")
    finally:
        engine.dispose()
        if schema is not None:
            import psycopg

            dsn = args.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute(f'DROP SCHEMA "{schema}" CASCADE')
    if args.ingest_orders:
        backend = "postgres" if args.database_url else "sqlite"
        with_hook, without = ingest_cost(backend, args.ingest_orders, args.batch)
        batches = -(-args.ingest_orders // args.batch)
        print(f"ingest ({backend}), {args.ingest_orders:,} orders in batches of {args.batch}: "
              f"{with_hook / batches * 1000:.1f} ms per batch with the rollups, "
              f"{without / batches * 1000:.1f} ms without -> "
              f"+{(with_hook / without - 1) * 100:.1f} % per batch")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
