"""Fault injection with the real edge agents and simulated kiosks (marker ``faults``).

Every process is real and killed for real: the broker, the ingest worker and an
agent get kill -9; another device is cut off for a while. At the end the hub's
count and money per device equal each device's own store, with no duplicates.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from edge_agent.config import AgentConfig
from edge_agent.store import DeviceStore
from hub.settings import Settings
from tests.ingest.helpers import ROOT, SITE, prepare_hub, scalar, start_worker, stop, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

DEVICES = ("k1", "k2", "k3")


def _agent_config(tmp: Path, broker: PrivateBroker, device: str, window: int = 200) -> Path:
    cfg = AgentConfig.model_validate({
        "site_id": SITE, "device_id": device, "store_path": str(tmp / f"{device}.db"),
        "heartbeat_interval_s": 1.0,
        "broker": {"host": broker.host, "port": broker.port, "keepalive_s": 5,
                   "reconnect_min_s": 0.1, "reconnect_max_s": 1.0},
        "outbox": {"window": window, "ack_timeout_s": 3.0, "max_retry_interval_s": 6.0},
    })
    b, o = cfg.broker, cfg.outbox
    path = tmp / f"{device}.toml"
    path.write_text(
        f'site_id = "{cfg.site_id}"\ndevice_id = "{cfg.device_id}"\n'
        f'store_path = "{cfg.store_path}"\nheartbeat_interval_s = {cfg.heartbeat_interval_s}\n'
        f'log_level = "WARNING"\n'
        f'[broker]\nhost = "{b.host}"\nport = {b.port}\nkeepalive_s = {b.keepalive_s}\n'
        f"reconnect_min_s = {b.reconnect_min_s}\nreconnect_max_s = {b.reconnect_max_s}\n"
        f"[outbox]\nwindow = {o.window}\nack_timeout_s = {o.ack_timeout_s}\n"
        f"max_retry_interval_s = {o.max_retry_interval_s}\n"
    )
    return path


def start_agent(config: Path, logs: Path) -> subprocess.Popen[bytes]:
    """`python -m edge_agent` as its own process."""
    logs.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "edge_agent", "--config", str(config)],
                            cwd=ROOT, stdout=(logs / f"{config.stem}.log").open("ab"),
                            stderr=subprocess.STDOUT)


def start_kiosk(tmp: Path, device: str, count: int, rate: float,
                seed: int) -> subprocess.Popen[bytes]:
    """The simulated kiosk recording `count` orders into the device store."""
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent.simkiosk", "--store", str(tmp / f"{device}.db"),
         "--site", SITE, "--device", device, "--count", str(count), "--rate", str(rate),
         "--seed", str(seed)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )


def device_totals(tmp: Path, device: str) -> tuple[int, int, int, int]:
    """(orders, cents, outbox depth, dead letters) from the device's own store."""
    with DeviceStore(tmp / f"{device}.db", site_id=SITE, device_id=device) as store:
        n, cents = store.order_totals()
        depth = store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        dead = store.conn.execute("SELECT count(*) FROM dead_letter").fetchone()[0]
    return n, cents, int(depth), int(dead)


def hub_totals(engine: object, device: str) -> tuple[int, int]:
    """(orders, cents) the hub holds for a device."""
    row = [scalar(engine, f"SELECT {agg} FROM orders o JOIN device d ON d.id = o.device_id"  # type: ignore[arg-type]
                          " WHERE d.code = :d", d=device)
           for agg in ("count(*)", "coalesce(sum(o.total_cents), 0)")]
    return int(row[0]), int(row[1])


def test_storm_of_faults_loses_and_doubles_nothing(
    sqlite_hub: Settings, fast_broker: PrivateBroker, tmp_path: Path
) -> None:
    broker = fast_broker
    engine = prepare_hub(sqlite_hub, DEVICES)
    logs = tmp_path / "logs"
    worker = start_worker(sqlite_hub, broker, "w1", logs)
    configs = {d: _agent_config(tmp_path, broker, d) for d in DEVICES}
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
    agent = start_agent(_agent_config(tmp_path, broker, "k1", window=2000), logs)
    try:
        # How fast it drains is measured by bench/ingest_drain.py; here: all of it, once.
        wait_for(lambda: device_totals(tmp_path, "k1")[2] == 0, 120, "the backlog drained")
        n, cents, _, dead = device_totals(tmp_path, "k1")
        assert n == 10_000 and dead == 0 and hub_totals(engine, "k1") == (n, cents)
    finally:
        stop(agent)
        stop(worker)
        engine.dispose()
