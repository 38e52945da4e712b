"""Fault injection with real processes: kill -9 of the agent, kill -9 of the broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from tests.edge.conftest import (
    DEVICE,
    ROOT,
    SITE,
    FakeHub,
    agent_config,
    draft,
    open_store,
    outbox_depth,
    start_agent_process,
    wait_for,
    write_config_file,
)

pytestmark = pytest.mark.faults


def simkiosk(store: Path, count: int, rate: float, seed: int = 7) -> subprocess.Popen[bytes]:
    """The simulated kiosk as its own process, through DeviceStore.record_order."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edge_agent.simkiosk",
            "--store",
            str(store),
            "--site",
            SITE,
            "--device",
            DEVICE,
            "--count",
            str(count),
            "--rate",
            str(rate),
            "--seed",
            str(seed),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def kill9(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def test_agent_kill9_mid_stream_loses_nothing(tmp_path: Path, broker: PrivateBroker) -> None:
    cfg = agent_config(tmp_path, broker, window=20)
    conf = write_config_file(cfg, tmp_path / "agent.toml")
    hub = FakeHub(broker).start()
    log = tmp_path / "agent.log"
    kiosk = simkiosk(cfg.store_path, count=600, rate=300)
    agent = start_agent_process(conf, log)
    try:
        wait_for(lambda: hub.distinct() >= 100, 20, "the stream under way")
        kill9(agent)  # mid-stream: rows published, some acked, some not
        at_kill = hub.distinct()
        assert kiosk.wait(30) == 0
        assert outbox_depth(cfg) > 0, "the kill must leave work for the restarted agent"
        agent = start_agent_process(conf, log)
        wait_for(lambda: outbox_depth(cfg) == 0, 30, "outbox drained after restart")
        with open_store(cfg) as store:
            kiosk_totals = store.order_totals()
        assert kiosk_totals[0] == 600
        # At least once: every order arrived; the hub counts distinct ids.
        assert hub.order_total() == kiosk_totals
        assert at_kill < 600
    finally:
        if agent.poll() is None:
            agent.terminate()
            agent.wait(10)
        if kiosk.poll() is None:
            kill9(kiosk)
        hub.stop()


def test_kiosk_kill9_leaves_no_order_without_its_outbox_row(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    cfg = agent_config(tmp_path, broker)
    kiosk = simkiosk(cfg.store_path, count=0, rate=0)  # flat out until killed
    wait_for(lambda: cfg.store_path.exists() and outbox_depth(cfg) > 200, 20, "orders recorded")
    kill9(kiosk)
    with open_store(cfg) as store:
        c = store.conn
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orders = c.execute("SELECT count(*) FROM orders").fetchone()[0]
        rows = c.execute("SELECT count(*) FROM outbox WHERE kind = 'order.placed'").fetchone()[0]
        assert orders == rows > 200
        no_lines = c.execute(
            "SELECT count(*) FROM orders o WHERE NOT EXISTS"
            " (SELECT 1 FROM order_lines l WHERE l.order_id = o.order_id)"
        ).fetchone()[0]
        assert no_lines == 0
        nos = [r[0] for r in c.execute("SELECT order_no FROM orders ORDER BY rowid")]
        assert len(set(nos)) == len(nos)  # numbers never reused


def failed_reconnects(log: Path) -> int:
    """How many times the agent has logged a failed connection attempt and a retry."""
    return log.read_text(errors="replace").count("; retrying in ") if log.exists() else 0


def broker_outage(tmp_path: Path, broker: PrivateBroker, failures: int) -> None:
    """Kill the broker, keep selling until the agent has failed to reconnect `failures` times."""
    cfg = agent_config(tmp_path, broker)
    conf = write_config_file(cfg, tmp_path / "agent.toml")
    hub = FakeHub(broker).start()
    log = tmp_path / "agent.log"
    agent = start_agent_process(conf, log)
    try:
        with open_store(cfg) as store:
            for i in range(50):
                store.record_order(draft(i))
            wait_for(lambda: outbox_depth(cfg) == 0, 15, "first batch acked")
            broker.kill()  # kill -9
            # The canteen keeps selling while the broker is gone.
            kiosk = simkiosk(cfg.store_path, count=200, rate=0, seed=11)
            assert kiosk.wait(30) == 0
            before = failed_reconnects(log)
            # The outage lasts until the agent has retried that often (its backoff caps at
            # reconnect_max_s): a client that gives up after long outages fails here.
            wait_for(lambda: failed_reconnects(log) >= before + failures, 10 + 2 * failures,
                     f"{failures} failed reconnects")
            assert agent.poll() is None, "the agent must not exit while the broker is down"
            broker.start()  # same port, same persistence
            wait_for(
                lambda: outbox_depth(cfg) == 0, 60, "outbox drained after the broker came back"
            )
            totals = store.order_totals()
        assert totals[0] == 250
        assert hub.order_total() == totals
    finally:
        agent.terminate()
        agent.wait(10)
        hub.stop()


def test_broker_kill9_agent_reconnects_and_drains(tmp_path: Path, broker: PrivateBroker) -> None:
    broker_outage(tmp_path, broker, failures=3)


@pytest.mark.slow
def test_broker_down_past_the_backoff_cap(tmp_path: Path, broker: PrivateBroker) -> None:
    # Past the 30 doublings its backoff counts: many retries at the cap, as in a long outage.
    broker_outage(tmp_path, broker, failures=int(os.environ.get("CANTEEN_OUTAGE_RETRIES", "40")))
