"""Scaling the ingest pool down under load strands nothing (issue 11, item 5; marker ``faults``).

Three worker processes share the uplinks; real edge agents drain the outboxes that
simulated kiosks keep filling. One worker is stopped with SIGTERM mid-load, another is
kill -9'd, neither comes back. Devices that publish each message once (no outbox, no
re-send) then prove that no departed worker's session still takes a share of the
group: every one of their orders must be stored by the worker that is left. At the end
every order of every kiosk is at the hub exactly once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from demo.broker import PrivateBroker
from hub.settings import Settings
from protocol import uplink_filter
from tests.ingest.helpers import (
    ROOT,
    FakeDevice,
    agent_config,
    device_totals,
    hub_env,
    hub_totals,
    prepare_hub,
    recorded_orders,
    scalar,
    start_agent,
    start_kiosk,
    start_worker,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

KIOSKS = ("k1", "k2", "k3")
PROBES = ("p1", "p2")  # publish-once devices: what reaches a dead session is lost for good
PER_KIOSK = 600
PER_PROBE = 60
CRASH_EXPIRY_S = 3  # how long the broker keeps a crashed worker's session, in this test


def _agent(tmp: Path, broker: PrivateBroker, device: str) -> subprocess.Popen[bytes]:
    config = agent_config(tmp, broker, device, window=100, ack_timeout_s=2.0,
                          max_retry_interval_s=4.0)
    return start_agent(config, tmp / "logs")


class ExpiredSessions:
    """The broker's count of sessions it dropped on expiry ($SYS, every 10 s when it changes)."""

    def __init__(self, broker: PrivateBroker) -> None:
        self.value = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="t-sys")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe("$SYS/broker/clients/expired", qos=0)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        self.value = int(msg.payload)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def _probe(tmp: Path, broker: PrivateBroker, engine: object, device: str) -> None:
    """Publish PER_PROBE orders once each; every one must be stored (none stranded)."""
    orders = recorded_orders(tmp / f"{device}.db", device, PER_PROBE, seed=99)
    dev = FakeDevice(broker, device)
    try:
        for _, topic, body, _ in orders:
            dev.publish(topic, body)
        try:
            wait_for(lambda: hub_totals(engine, device)[0] == PER_PROBE, 90,
                     f"all {PER_PROBE} orders of {device}, published once, stored")
        except AssertionError as err:
            stored = hub_totals(engine, device)[0]
            raise AssertionError(f"{err}: {PER_PROBE - stored} of {PER_PROBE} stranded") from err
        assert hub_totals(engine, device) == (PER_PROBE, sum(t for *_, t in orders))
    finally:
        dev.close()


def _scale_down_under_load(settings: Settings, broker: PrivateBroker, tmp: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANTEEN_INGEST_SESSION_EXPIRY_S", str(CRASH_EXPIRY_S))
    engine = prepare_hub(settings, (*KIOSKS, *PROBES))
    logs = tmp / "logs"
    workers = {w: start_worker(settings, broker, w, logs) for w in ("w1", "w2", "w3")}
    agents = {d: _agent(tmp, broker, d) for d in KIOSKS}
    kiosks = {d: start_kiosk(tmp, d, PER_KIOSK, 40, i) for i, d in enumerate(KIOSKS)}
    total = PER_KIOSK * len(KIOSKS)
    expired = ExpiredSessions(broker)

    def stored() -> int:
        return int(scalar(engine, "SELECT count(*) FROM orders"))

    try:
        wait_for(lambda: stored() >= 100, 120, "the stream to be under way")
        # Scale down by one, politely: SIGTERM while orders keep coming.
        stop(workers["w1"])
        assert workers["w1"].returncode == 0
        _probe(tmp, broker, engine, "p1")
        # And by one more, rudely: kill -9 mid-load. The broker keeps its session for
        # CRASH_EXPIRY_S (what it held then goes back to the devices' outboxes).
        assert stored() - PER_PROBE < total, "the load ended before the crash"
        stop(workers["w2"], kill=True)
        wait_for(lambda: expired.value >= 1, 90,
                 "the broker to drop the crashed worker's session")
        _probe(tmp, broker, engine, "p2")
        for d, k in kiosks.items():
            out, _ = k.communicate(timeout=120)
            assert json.loads(out)["store_orders"] == PER_KIOSK, d
        for d in KIOSKS:
            wait_for(lambda: device_totals(tmp, d)[2] == 0, 180,  # noqa: B023
                     f"the outbox of {d} drained by the one worker left")
        for d in KIOSKS:
            n, cents, _, dead = device_totals(tmp, d)
            assert dead == 0
            assert hub_totals(engine, d) == (n, cents) == (PER_KIOSK, cents)
        assert stored() == total + PER_PROBE * len(PROBES)
        assert scalar(engine, "SELECT count(*) FROM sync_message WHERE type = 'order.placed'") \
            == stored()
        assert scalar(engine, "SELECT count(*) FROM sync_dead_letter") == 0
        assert scalar(engine, "SELECT count(*) FROM sync_conflict") == 0
    finally:
        expired.close()
        for p in (*kiosks.values(), *agents.values(), *workers.values()):
            stop(p)
        engine.dispose()


def test_scale_down_under_load_sqlite(sqlite_hub: Settings, broker: PrivateBroker,
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scale_down_under_load(sqlite_hub, broker, tmp_path, monkeypatch)


@pytest.mark.postgres
def test_scale_down_under_load_postgres(pg_hub: Settings, broker: PrivateBroker,
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scale_down_under_load(pg_hub, broker, tmp_path, monkeypatch)


def _session_left_behind(broker: PrivateBroker, worker_id: str) -> None:
    """What a worker of an older release left when it stopped: a 7-day session in the group."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"canteen-ingest-{worker_id}",
                         protocol=MQTTProtocolVersion.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 7 * 24 * 3600
    client.connect(broker.host, broker.port, clean_start=False, properties=props)
    client.loop_start()
    subscribed: list[object] = []
    client.on_subscribe = lambda *a: subscribed.append(a)
    client.subscribe(uplink_filter(share_group="ingest"), qos=1)
    wait_for(lambda: bool(subscribed), 10, "the old worker's SUBACK")
    client.disconnect()
    client.loop_stop()


def test_a_session_left_behind_is_ended_by_worker_id(sqlite_hub: Settings,
                                                     broker: PrivateBroker,
                                                     tmp_path: Path) -> None:
    engine = prepare_hub(sqlite_hub, ["p1"])
    _session_left_behind(broker, "retired")
    worker = start_worker(sqlite_hub, broker, "w1", tmp_path / "logs")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hub.ingest", "--worker-id", "retired", "--end-session"],
            env=hub_env(sqlite_hub, broker), cwd=ROOT, capture_output=True, text=True,
            timeout=60, check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        _probe(tmp_path, broker, engine, "p1")
    finally:
        stop(worker)
        engine.dispose()


def test_ending_a_session_on_a_broker_that_is_down_says_so(sqlite_hub: Settings,
                                                           tmp_path: Path) -> None:
    dead = PrivateBroker(tmp_path / "never-started")  # a free port nobody listens on
    done = subprocess.run(
        [sys.executable, "-m", "hub.ingest", "--worker-id", "retired", "--end-session"],
        env=hub_env(sqlite_hub, dead), cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert done.returncode == 1
    assert "unreachable" in done.stderr
