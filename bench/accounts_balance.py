"""Balance lookup with 1,000,000 ledger entries: cached balance row vs summing the entries.

    .venv/bin/python bench/accounts_balance.py                 # SQLite file in a temp dir
    .venv/bin/python bench/accounts_balance.py --pg            # PostgreSQL, a schema of its own

Data: 9,000 members with 100 entries each plus one busy member with 100,000 (1,000,000 in
all), loaded through the hub's migrated schema. Candidates are interleaved round by round
so machine load hits them alike; the median of each is reported in microseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Connection, Engine

from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.settings import Settings

MEMBERS = 9_000
PER_MEMBER = 100
BUSY = 100_000
ROUNDS = 2_000
T0 = datetime(2025, 3, 3, tzinfo=UTC)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _settings(data_dir: Path, pg_schema: str | None) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "secret_key": "bench-secret-key-0123456789abcdef0123456789",
        "field_encryption_key": Fernet.generate_key().decode(),
        "lookup_hash_key": "bench-lookup-hash-key-0123456789abcdef0123",
    }
    if pg_schema:
        values.update(database_url=PG_URL, db_schema=pg_schema)
    return Settings(_env_file=None, **values)


def load(engine: Engine) -> int:
    """Members, cached balances and ledger entries; returns the busy member's id."""
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO member (member_no, name, dietary_preferences, allergens, active,"
                    " created_at) VALUES (:no, :name, '[]', '[]', true, :at)"),
            [{"no": f"B{i:06d}", "name": f"m{i}", "at": T0} for i in range(MEMBERS + 1)],
        )
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM member ORDER BY id"))]
    busy = ids[-1]
    for start in range(0, len(ids), 500):
        rows: list[dict[str, object]] = []
        sums: list[dict[str, object]] = []
        for mid in ids[start:start + 500]:
            n = BUSY if mid == busy else PER_MEMBER
            balance = 0
            for _ in range(n):
                amount = rng.choice((1_000, 2_000, -350, -1_200, -800))
                balance += amount
                rows.append({"m": mid, "a": amount, "b": balance, "op": str(uuid.uuid4()), "t": T0})
            sums.append({"m": mid, "p": balance, "t": T0})
        with engine.begin() as conn:
            _insert(conn, rows, sums)
    return busy


def _insert(conn: Connection, rows: list[dict[str, object]], sums: list[dict[str, object]]) -> None:
    # The bench fills the ledger directly (no per-entry checks): it measures reads, not writes.
    conn.execute(
        sa.text("INSERT INTO ledger_entry (member_id, account, kind, amount, balance_after,"
                " operation_id, actor, created_at) VALUES (:m, 'paid', 'topup', :a, :b, :op,"
                " 'bench', :t)"),
        rows,
    )
    conn.execute(
        sa.text("INSERT INTO member_account (member_id, paid_cents, bonus_cents, subsidy_cents,"
                " points, offline_limit_cents, version, updated_at)"
                " VALUES (:m, :p, 0, 0, 0, 1000000000, 0, :t)"),
        sums,
    )


CACHED = sa.text("SELECT paid_cents FROM member_account WHERE member_id = :m")
SUMMED = sa.text("SELECT coalesce(sum(amount), 0) FROM ledger_entry"
                 " WHERE member_id = :m AND account = 'paid'")


def bench(engine: Engine, members: list[int]) -> dict[str, float]:
    """Median microseconds per lookup of each candidate, interleaved."""
    times: dict[str, list[float]] = {"cached": [], "summed": []}
    queries: dict[str, sa.TextClause] = {"cached": CACHED, "summed": SUMMED}
    with engine.connect() as conn:
        for mid in members:
            got = {}
            for name, query in queries.items():
                t = time.perf_counter()
                got[name] = conn.execute(query, {"m": mid}).scalar_one()
                times[name].append((time.perf_counter() - t) * 1e6)
            assert got["cached"] == got["summed"], (mid, got)  # same answer, or it is no bench
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    """Load, then time both candidates for typical members and the busy one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}" if args.pg else None
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(Path(tmp), schema)
        engine = make_engine(settings)
        if schema:
            with sa.create_engine(PG_URL).begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            upgrade_to_head(engine, schema=schema)
            t = time.perf_counter()
            busy = load(engine)
            with engine.begin() as conn:
                total = conn.execute(sa.text("SELECT count(*) FROM ledger_entry")).scalar_one()
                if args.pg:
                    conn.execute(sa.text("ANALYZE"))
            took = time.perf_counter() - t
            print(f"{engine.dialect.name}: {total:,} entries loaded in {took:.1f} s")
            rng = random.Random(1)
            typical = [rng.randint(1, MEMBERS) for _ in range(ROUNDS)]
            for label, members in (("typical member (100 entries)", typical),
                                   ("busy member (100,000 entries)", [busy] * 50)):
                r = bench(engine, members)
                print(f"{label}: cached {r['cached']:.1f} µs, summed {r['summed']:.1f} µs "
                      f"({r['summed'] / r['cached']:.0f}x)")
        finally:
            engine.dispose()
            if schema:
                with sa.create_engine(PG_URL).begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
