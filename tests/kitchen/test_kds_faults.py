"""No ticket lost or doubled when the KDS dies mid-burst or its SQLite commit fails.

Real parts: a private Mosquitto, the kiosk's edge agent as a process, the KDS link
and store as a process (``python -m edge_agent.kitchen.headless``) killed with -9.
The link acknowledges a message only after its commit (manual MQTT acks).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from edge_agent.kitchen.config import load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.kitchen.link import KitchenLink
from edge_agent.store import DeviceStore
from tests.kitchen.conftest import PY, ROOT, agent_toml, kitchen_toml, start_agent
from tests.support.kitchen import LUNCH, draft, wait_online
from tests.support.waiting import wait_for

pytestmark = pytest.mark.faults




def _tickets(db: Path) -> tuple[int, int, int]:
    """(ticket rows, distinct tickets, in_preparation events queued) in a KDS store."""
    conn = sqlite3.connect(db, timeout=10)
    try:
        rows, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT order_id || '/' || station) FROM kitchen_ticket"
        ).fetchone()
        (events,) = conn.execute(
            "SELECT count(*) FROM outbox WHERE kind = 'order.state'").fetchone()
        return int(rows), int(distinct), int(events)
    except sqlite3.OperationalError:  # the KDS has not created its tables yet
        return 0, 0, 0
    finally:
        conn.close()


@pytest.fixture
def kds_procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """KDS processes started by a test; killed at the end."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(10)




def _start_kds(procs: list[subprocess.Popen[bytes]], conf: Path) -> subprocess.Popen[bytes]:
    p = subprocess.Popen([PY, "-m", "edge_agent.kitchen.headless", "--config", str(conf)],
                         cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    return p


def test_kill_9_of_the_kds_mid_burst_loses_and_doubles_nothing(
    broker: PrivateBroker, tmp_path: Path, agents: dict, kds_procs: list
) -> None:
    start_agent(agents, agent_toml(tmp_path / "kiosk-1.agent.toml", broker, "kiosk-1",
                                   window=5000, ack_timeout_s=600), "kiosk-1")
    conf = kitchen_toml(tmp_path / "kds-1.toml", broker, "kds-1")
    db = load_kitchen_config(conf).store_path
    kiosk = DeviceStore(tmp_path / "kiosk-1.db", site_id="site-1", device_id="kiosk-1")
    kds = _start_kds(kds_procs, conf)
    wait_online(broker, "kds-1")
    kiosk.record_order(draft(*LUNCH))
    wait_for(lambda: _tickets(db)[0] == 2, 30, lambda: _tickets(db))

    n_orders = 300
    placed = threading.Event()

    t = threading.Thread(target=lambda: _burst_in_thread(tmp_path, n_orders - 1, placed))
    t.start()
    wait_for(lambda: _tickets(db)[0] >= 120, 30, lambda: _tickets(db))
    kds.send_signal(signal.SIGKILL)  # mid-burst, no goodbye
    kds.wait(10)
    killed_at = _tickets(db)[0]
    time.sleep(0.5)  # orders keep coming while it is down
    _start_kds(kds_procs, conf)
    t.join(60)
    assert placed.is_set()
    wait_for(lambda: _tickets(db)[0] == 2 * n_orders, 60, lambda: _tickets(db))
    time.sleep(1.0)  # redeliveries still in flight would show up as extra events
    rows, distinct, events = _tickets(db)
    assert killed_at < 2 * n_orders  # the kill really landed mid-burst
    assert rows == distinct == 2 * n_orders  # every ticket, once
    assert events == 2 * n_orders  # one "started" event per ticket, none twice
    (orders,) = kiosk.conn.execute("SELECT count(*) FROM orders").fetchone()
    assert orders == n_orders


def _burst_in_thread(tmp_path: Path, n: int, done: threading.Event) -> None:
    kiosk = DeviceStore(tmp_path / "kiosk-1.db", site_id="site-1", device_id="kiosk-1")
    try:
        for _ in range(n):
            kiosk.record_order(draft(*LUNCH))
            time.sleep(0.02)  # about 50 orders a second, a lunch rush at several kiosks
    finally:
        kiosk.close()
    done.set()


def test_a_failed_commit_is_not_acknowledged_and_comes_again(
    broker: PrivateBroker, tmp_path: Path, agents: dict
) -> None:
    start_agent(agents, agent_toml(tmp_path / "kiosk-1.agent.toml", broker, "kiosk-1",
                                   ack_timeout_s=600), "kiosk-1")
    cfg = load_kitchen_config(kitchen_toml(tmp_path / "kds-1.toml", broker, "kds-1"))
    kiosk = DeviceStore(tmp_path / "kiosk-1.db", site_id="site-1", device_id="kiosk-1")

    def store() -> KdsStore:
        s = KdsStore(cfg.store_path, site_id="site-1", device_id="kds-1")
        s.conn.execute("PRAGMA busy_timeout=100")  # fail fast while the file is locked
        return s

    link = KitchenLink(cfg, store)
    link.start()
    try:
        wait_for(lambda: link.status.connected)
        kiosk.record_order(draft(*LUNCH))
        wait_for(lambda: _tickets(cfg.store_path)[0] == 2)
        # Another writer holds the store: every KDS commit now fails ("database is locked").
        blocker = sqlite3.connect(cfg.store_path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        for _ in range(10):
            kiosk.record_order(draft(*LUNCH))
        time.sleep(2.0)
        assert link.applied == 1  # nothing committed while locked
        blocker.execute("ROLLBACK")
        blocker.close()
        wait_for(lambda: _tickets(cfg.store_path)[0] == 22, 30)
        time.sleep(1.0)
        assert _tickets(cfg.store_path) == (22, 22, 22)
        assert link.applied == 11
    finally:
        link.stop()
