"""End to end on a real Mosquitto: online -> command -> result -> staged rollout paused by a
failing device -> rollback. Agents, the ingest worker and the fleet monitor run for real."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from edge_agent.store import DeviceStore
from hub.downlinks.mqtt import BrokerTarget
from hub.fleet import commands, rollouts
from hub.fleet.monitor import FleetMonitor
from hub.ingest.worker import IngestWorker, WorkerSettings
from hub.models.fleet_health import DeviceState, FleetCommand, Rollout, RolloutTarget
from hub.models.sites import Site
from tests.hub.conftest import make_settings
from tests.support.fleet import device_id, fleet_hub, start_agent
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)


@dataclass
class Fleet:
    """What the test drives: the hub database, the monitor, the running agents."""

    engine: Engine
    monitor: FleetMonitor
    agents: dict[str, Agent]
    tmp: Path


@pytest.fixture
def fleet(tmp_path: Path, broker: PrivateBroker,
          caplog: pytest.LogCaptureFixture) -> Iterator[Fleet]:
    caplog.set_level(logging.INFO)  # what the agent CLI sets from log_level
    settings = make_settings(tmp_path)
    engine = fleet_hub(settings, {"north": ["k1", "k3"], "south": ["k2"]})
    worker = IngestWorker(engine, WorkerSettings(host=broker.host, port=broker.port,
                                                 worker_id="fleet-e2e", max_wait_ms=20))
    worker.start()
    worker.run_in_thread()
    assert worker.client is not None
    wait_for(worker.client.is_connected, 20, "the ingest worker to connect")
    monitor = FleetMonitor(engine, BrokerTarget(host=broker.host, port=broker.port), tick_s=0.3)
    monitor.start()
    # k3 is registered but never runs: the device that fails the rollout.
    agents = {"k1": start_agent(tmp_path, broker, "north", "k1"),
              "k2": start_agent(tmp_path, broker, "south", "k2")}
    try:
        yield Fleet(engine, monitor, agents, tmp_path)
    finally:
        for a in agents.values():
            a.stop()
        monitor.stop()
        worker.stop()
        engine.dispose()


def _state(engine: Engine, code: str) -> DeviceState | None:
    with Session(engine) as session:
        return session.get(DeviceState, device_id(engine, code))


def test_online_command_result_rollout_paused_by_failing_device_then_rolled_back(
    fleet: Fleet,
) -> None:
    engine, agents, tmp = fleet.engine, fleet.agents, fleet.tmp

    # Online from the retained status; health from heartbeats (through ingest).
    for code in ("k1", "k2"):
        wait_for(lambda c=code: (s := _state(engine, c)) is not None and s.presence == "online"
                 and s.heartbeat_at is not None, 20, f"{code} online with a heartbeat")
    k1 = _state(engine, "k1")
    assert k1 is not None and k1.app_version and k1.disk_total_mb and k1.dead_letters == 0

    # A command: sent by the monitor, run on the device, the result back through ingest.
    with Session(engine) as session:
        cmd = commands.create_command(session, device_id=device_id(engine, "k1"),
                                      name="upload_logs", ttl_s=60, requested_by="test")
        pk = cmd.id

    def finished() -> FleetCommand | None:
        with Session(engine) as session:
            row = session.get(FleetCommand, pk)
            return row if row is not None and row.status not in ("queued", "sent") else None

    wait_for(finished, 20, "the command result")
    done = finished()
    assert done is not None
    assert done.status == "ok" and done.output and "connected" in done.output

    # A config rollout, the north site first: k1 takes it, k3 never answers -> paused.
    with Session(engine) as session:
        north = session.exec(select(Site.id)
                             .where(Site.code == "north")).one()
        r = rollouts.create_rollout(session, kind="config", spec={"changes": {
            "idle_reset_s": 45, "languages": ["zh_Hans", "en"], "layout": "list"}},
            first_site_id=north, step_timeout_s=5, max_failure_pct=20, created_by="test")
        rid = r.id
    assert rid is not None

    def rollout() -> Rollout:
        with Session(engine) as session:
            found = session.get(Rollout, rid)
            assert found is not None
            return found

    wait_for(lambda: rollout().status == "paused", 30, "the rollout to pause itself")
    paused = rollout()
    assert paused.stage == 0 and "1 of 2" in (paused.reason or "")
    with Session(engine) as session:
        k1_target = session.get(RolloutTarget, (rid, device_id(engine, "k1")))
        k2_target = session.get(RolloutTarget, (rid, device_id(engine, "k2")))
        assert k1_target is not None and k1_target.status == "ok"
        assert k2_target is not None and k2_target.status == "pending"  # never reached
    with DeviceStore(tmp / "k1.db", site_id="north", device_id="k1") as store:
        got = store.device_config()
        assert got is not None and got.idle_reset_s == 45 and got.layout == "list"
    with DeviceStore(tmp / "k2.db", site_id="south", device_id="k2") as store:
        assert store.device_config() is None  # the second stage never started

    # Rollback: k1 gets its previous settings back (as a newer version).
    rolled = rollouts.rollback(engine, fleet.monitor, rollout_id=rid)
    assert rolled.status == "rolled_back"

    def k1_config_back() -> bool:
        with DeviceStore(tmp / "k1.db", site_id="north", device_id="k1") as store:
            got = store.device_config()
            return got is not None and got.idle_reset_s == 90 and got.layout is None

    wait_for(k1_config_back, 20, "k1 to get its previous settings back")
    assert agents["k1"].published > 0
