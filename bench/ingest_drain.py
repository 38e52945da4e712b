"""Drain time of a device that was offline with 10,000 queued orders (real agent, real worker).

The simulated kiosk records the orders with no agent running; then the agent
starts and the clock runs until its outbox is empty (every order committed at
the hub and acknowledged). Also: the same backlog waiting at the broker in the
session of a worker that crashed and restarts within its session expiry (a worker
stopped cleanly ends its session; docs/architecture.md). SQLite and PostgreSQL.

Run: .venv/bin/python bench/ingest_drain.py [--orders 10000]
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from ingest_common import ROOT, SITE, Fleet, broker, hub_db, make_orders, workers  # noqa: E402


def outbox_depth(store: Path) -> int:
    """Rows still waiting for the hub's ack."""
    with sqlite3.connect(store) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def device_backlog(work: Path, backend: str, n: int, window: int) -> float:
    """Seconds from agent start to an empty outbox."""
    store = work / f"k1-{backend}-{window}.db"
    subprocess.run([sys.executable, "-m", "edge_agent.simkiosk", "--store", str(store),
                    "--site", SITE, "--device", "k1", "--count", str(n), "--rate", "0"],
                   cwd=ROOT, check=True, capture_output=True)
    assert outbox_depth(store) == n
    with broker(work) as b, hub_db(work, backend, ["k1"]) as settings, \
            workers(settings, b, 1):
        cfg = work / f"k1-{backend}-{window}.toml"
        cfg.write_text(
            f'site_id = "{SITE}"\ndevice_id = "k1"\nstore_path = "{store}"\n'
            'log_level = "WARNING"\n'
            f'[broker]\nhost = "{b.host}"\nport = {b.port}\n'
            f"[outbox]\nwindow = {window}\nack_timeout_s = 10.0\nmax_retry_interval_s = 20.0\n"
        )
        t0 = time.perf_counter()
        agent = subprocess.Popen([sys.executable, "-m", "edge_agent", "--config", str(cfg)],
                                 cwd=ROOT)
        try:
            while outbox_depth(store) and time.perf_counter() - t0 < 300:
                time.sleep(0.05)
            return time.perf_counter() - t0
        finally:
            agent.terminate()
            agent.wait(20)


def broker_backlog(work: Path, backend: str, n: int) -> float:
    """Seconds for a worker that restarts with n orders already queued in its session."""
    orders = make_orders(["k1"], n)
    expiry = ("--session-expiry-s", "3600")  # the backlog is published while it is down
    with broker(work) as b, hub_db(work, backend, ["k1"]) as settings:
        with workers(settings, b, 1, *expiry, crash=True):
            pass  # creates the session, then dies with it still at the broker
        fleet = Fleet(b, ["k1"])
        fleet.expect = n
        infos = [fleet.publish(d, t, raw) for d, _, t, raw in orders]
        for info in infos:
            info.wait_for_publish(60)
        t0 = time.perf_counter()
        with workers(settings, b, 1, *expiry):
            if not fleet.done.wait(300):
                raise RuntimeError(f"only {len(fleet.acked)} of {n} acknowledged")
            elapsed = max(fleet.acked.values()) - t0
        fleet.close()
    return elapsed


def main() -> None:
    """Print drain times as a Markdown table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--orders", type=int, default=10_000)
    args = p.parse_args()
    n = args.orders
    print("| backlog | database | orders | seconds | orders/s |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for backend in ("sqlite", "postgres"):
            for window in (100, 2000):
                s = device_backlog(work, backend, n, window)
                print(f"| device outbox, agent window {window} (agent start included) | "
                      f"{backend} | {n:,} | {s:.1f} | {n / s:,.0f} |", flush=True)
            s = broker_backlog(work, backend, n)
            print(f"| queued at the broker for a stopped worker (worker start included) | "
                  f"{backend} | {n:,} | {s:.1f} | {n / s:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
