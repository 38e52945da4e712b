"""Fault injection with the real edge agents and simulated kiosks (marker ``faults``).

Every process is real and killed for real: the broker, the ingest worker and an
agent get kill -9; another device is cut off for a while. At the end the hub's
count and money per device equal each device's own store, with no duplicates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from hub.settings import Settings
from tests.ingest.helpers import (
    agent_config,
    device_totals,
    hub_totals,
    prepare_hub,
    scalar,
    start_agent,
    start_kiosk,
    start_worker,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

DEVICES = ("k1", "k2", "k3")


def test_storm_of_faults_loses_and_doubles_nothing(
    sqlite_hub: Settings, fast_broker: PrivateBroker, tmp_path: Path
) -> None:
    broker = fast_broker
    engine = prepare_hub(sqlite_hub, DEVICES)
    logs = tmp_path / "logs"
    worker = start_worker(sqlite_hub, broker, "w1", logs)
    configs = {d: agent_config(tmp_path, broker, d) for d in DEVICES}
    agents = {d: start_agent(configs[d], logs) for d in DEVICES}
    per_device = 1667  # 5,001 orders in all
    kiosks = {d: start_kiosk(tmp_path, d, per_device, 150, i) for i, d in enumerate(DEVICES)}
    procs = [worker, *agents.values(), *kiosks.values()]
    def stored() -> int:
        return int(scalar(engine, "SELECT count(*) FROM orders"))

    def sold(device: str) -> int:
        return device_totals(tmp_path, device)[0]

    try:
        wait_for(lambda: stored() > 0, 60, "the first orders at the hub")
        broker.kill()  # kill -9 the broker with messages in flight both ways
        at_kill = sum(sold(d) for d in DEVICES)
        total = per_device * len(DEVICES)
        wait_for(lambda: sum(sold(d) for d in DEVICES) >= min(at_kill + 50, total), 60,
                 "the kiosks selling on with the broker gone")
        broker.start()
        mid_stream = stored()
        wait_for(lambda: stored() > mid_stream, 60, "orders flowing again after the restart")
        assert 0 < mid_stream < per_device * len(DEVICES)  # the faults hit a live stream
        stop(worker, kill=True)  # kill -9 the ingest worker mid-batch
        worker = start_worker(sqlite_hub, broker, "w1", logs)
        procs.append(worker)
        before_worker = stored()
        wait_for(lambda: stored() > before_worker, 60, "the new worker storing orders")
        stop(agents["k2"], kill=True)  # kill -9 an agent mid-publish
        agents["k2"] = start_agent(configs["k2"], logs)
        stop(agents["k3"])  # cut k3 off for a while; its kiosk keeps selling
        cut_off_at = sold("k3")
        wait_for(lambda: sold("k3") >= min(cut_off_at + 100, per_device), 60,
                 "k3 selling while cut off")
        agents["k3"] = start_agent(configs["k3"], logs)
        procs += [agents["k2"], agents["k3"]]
        for d, k in kiosks.items():
            out, _ = k.communicate(timeout=60)
            assert json.loads(out)["store_orders"] == per_device, d
        for d in DEVICES:
            wait_for(lambda: device_totals(tmp_path, d)[2] == 0, 90,  # noqa: B023
                     f"outbox of {d} drained")
        for d in DEVICES:
            n, cents, _, dead = device_totals(tmp_path, d)
            assert dead == 0
            assert hub_totals(engine, d) == (n, cents) == (per_device, cents)
        assert scalar(engine, "SELECT count(*) FROM orders") == total
        assert scalar(engine, "SELECT count(*) FROM sync_message WHERE type = 'order.placed'") \
            == total
        assert scalar(engine, "SELECT count(DISTINCT order_id) FROM sync_message") == total
        assert scalar(engine, "SELECT count(*) FROM sync_dead_letter") == 0
    finally:
        for p in procs:
            stop(p)
        for a in agents.values():
            stop(a)
        engine.dispose()


def test_offline_device_drains_10000_queued_orders(
    sqlite_hub: Settings, fast_broker: PrivateBroker, tmp_path: Path
) -> None:
    broker = fast_broker
    engine = prepare_hub(sqlite_hub, ["k1"])
    logs = tmp_path / "logs"
    worker = start_worker(sqlite_hub, broker, "w1", logs)
    kiosk = start_kiosk(tmp_path, "k1", 10_000, 0, 7)  # offline: nothing but the store
    out, _ = kiosk.communicate(timeout=120)
    assert json.loads(out)["store_orders"] == 10_000
    assert device_totals(tmp_path, "k1")[2] == 10_000
    agent = start_agent(agent_config(tmp_path, broker, "k1", window=2000), logs)
    try:
        # How fast it drains is measured by bench/ingest_drain.py; here: all of it, once.
        wait_for(lambda: device_totals(tmp_path, "k1")[2] == 0, 120, "the backlog drained")
        n, cents, _, dead = device_totals(tmp_path, "k1")
        assert n == 10_000 and dead == 0 and hub_totals(engine, "k1") == (n, cents)
    finally:
        stop(agent)
        stop(worker)
        engine.dispose()
