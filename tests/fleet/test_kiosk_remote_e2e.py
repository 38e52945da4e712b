"""The kiosk's end of the fleet on a real Mosquitto: commands from the hub run by the kiosk app
(test page and reprint on the simulated printer's pty, diagnostics) with their results back at
the hub; a config rollout applied by the kiosk without a restart; a bad config refused and the
last good one kept. The agent, the ingest worker and the fleet monitor run for real."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.engine import Engine
from sqlmodel import Session

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from hardware.sim.printer import PrinterSimulator
from hub.downlinks.mqtt import BrokerTarget
from hub.fleet import commands, rollouts
from hub.fleet.monitor import FleetMonitor
from hub.ingest.worker import IngestWorker, WorkerSettings
from hub.models.fleet_health import DeviceState, FleetCommand, Rollout
from kiosk.controllers.remote import RemoteLink
from protocol import encode, make_envelope
from tests.hub.conftest import make_settings
from tests.kiosk.controllers.conftest import Kiosk, make_kiosk, order_dish
from tests.support.fleet import device_id, fleet_hub, start_agent
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)
SITE, DEVICE = "site-1", "kiosk-1"


@dataclass
class Canteen:
    """The hub's database, the running kiosk (with its remote link), its agent and printer."""

    engine: Engine
    kiosk: Kiosk
    remote: RemoteLink
    agent: Agent
    printer: PrinterSimulator
    broker: PrivateBroker


@pytest.fixture
def canteen(tmp_path: Path, broker: PrivateBroker,
            caplog: pytest.LogCaptureFixture) -> Iterator[Canteen]:
    caplog.set_level(logging.INFO)
    engine = fleet_hub(make_settings(tmp_path), {SITE: [DEVICE]})
    worker = IngestWorker(engine, WorkerSettings(host=broker.host, port=broker.port,
                                                 worker_id="kiosk-e2e", max_wait_ms=20))
    worker.start()
    worker.run_in_thread()
    assert worker.client is not None
    wait_for(worker.client.is_connected, 20, "the ingest worker to connect")
    monitor = FleetMonitor(engine, BrokerTarget(host=broker.host, port=broker.port), tick_s=0.3)
    monitor.start()
    printer = PrinterSimulator(tmp_path / "printer")
    printer.start()
    (tmp_path / "kiosk").mkdir()
    # The kiosk app and the agent share the device store, as on a real kiosk.
    kiosk = make_kiosk(tmp_path / "kiosk", store_path=str(tmp_path / f"{DEVICE}.db"), hardware={
        "devices": {"receipt": {"type": "escpos_serial", "port": str(printer.path)}},
        "receipt": {"main": "receipt", "queue_path": str(tmp_path / "print.db")}})
    agent = start_agent(tmp_path, broker, SITE, DEVICE)
    try:
        yield Canteen(engine, kiosk, RemoteLink(kiosk.journey), agent, printer, broker)
    finally:
        agent.stop()
        kiosk.runtime.stop()
        printer.stop()
        monitor.stop()
        worker.stop()
        engine.dispose()


def hub_command(c: Canteen, name: str) -> FleetCommand:
    """Ask from the hub; the kiosk app polls (as its clock tick does) until the hub has the
    result back through the agent's outbox and ingest."""
    with Session(c.engine) as session:
        pk = commands.create_command(session, device_id=device_id(c.engine, DEVICE), name=name,
                                     ttl_s=60, requested_by="test").id

    def finished() -> FleetCommand | None:
        c.remote.poll()
        with Session(c.engine) as session:
            row = session.get(FleetCommand, pk)
            return row if row is not None and row.status not in ("queued", "sent") else None

    wait_for(finished, 20, f"the result of {name}")
    done = finished()
    assert done is not None
    return done


def test_hub_commands_run_on_the_kiosk_and_settings_roll_out_without_restart(
        canteen: Canteen) -> None:
    c = canteen
    j = c.kiosk.journey
    wait_for(lambda: (s := _state(c)) is not None and s.presence == "online", 20,
             "the kiosk online")

    j.start()
    j.identify("card", "0012345678")
    order_dish(j, "kung-pao-chicken")
    j.open_cart()
    assert j.checkout(), j.state.message
    assert c.printer.wait_documents(1)
    receipt = c.printer.documents[0]
    j.reset()

    shown: list[bool] = []

    def show() -> bool:
        shown.append(True)
        return True

    c.remote.show_diagnostics = show
    page = hub_command(c, "print_test_page")
    assert (page.status, page.detail) == ("ok", "test page printed")
    assert c.printer.wait_documents(2)
    assert "打印测试页 Printer test page" in c.printer.documents[1].text
    again = hub_command(c, "reprint_last_receipt")
    assert (again.status, again.detail) == ("ok", "receipt A001 printed")
    assert c.printer.wait_documents(3)
    assert [ln for ln in c.printer.documents[2].lines if "REPRINT" not in ln] == receipt.lines
    diag = hub_command(c, "open_diagnostics")
    assert (diag.status, diag.detail, shown) == ("ok", "diagnostics shown", [True])

    # A config rollout: the kiosk applies it at its next tick, no restart; the hub sees the
    # version in the heartbeat and completes the rollout.
    with Session(c.engine) as session:
        rid = rollouts.create_rollout(session, kind="config", spec={"changes": {
            "idle_reset_s": 45, "languages": ["en"], "layout": "list"}},
            first_percent=100, step_timeout_s=20, created_by="test").id

    def rollout() -> Rollout:
        with Session(c.engine) as session:
            found = session.get(Rollout, rid)
            assert found is not None
            return found

    def kiosk_applied() -> bool:
        c.remote.poll()  # the kiosk's clock tick
        return c.remote.config_version is not None

    wait_for(kiosk_applied, 20, "the kiosk to apply the config")
    applied = c.remote.config_version
    assert j.idle.timeout == timedelta(seconds=45) and j.state.lang == "en"
    assert c.remote.layout == "list" and c.kiosk.services.config.languages == ("en",)
    wait_for(lambda: rollout().status == "completed", 30, "the rollout to complete")

    # A config the shared schema refuses (idle reset 5 s) published straight to the broker:
    # the agent refuses it, the kiosk keeps running the last good one.
    env = make_envelope("device.config", {"version": (applied or 0) + 1, "idle_reset_s": 30},
                        site=SITE, device="hub")
    bad = json.loads(encode(env))
    bad["payload"]["idle_reset_s"] = 5
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="intruder-test",
                         protocol=mqtt.MQTTv5)
    client.connect(c.broker.host, c.broker.port)
    client.loop_start()
    try:
        client.publish(env.topic(to_device=DEVICE), json.dumps(bad, separators=(",", ":")),
                       qos=1, retain=True).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()
    wait_for(lambda: c.kiosk.store.counters().get("refused.config", 0) >= 1, 20,
             "the agent to refuse the bad config")
    c.remote.poll()
    assert c.remote.config_version == applied and j.idle.timeout == timedelta(seconds=45)
    got = c.kiosk.store.device_config()
    assert got is not None and got.version == applied


def _state(c: Canteen) -> DeviceState | None:
    with Session(c.engine) as session:
        return session.get(DeviceState, device_id(c.engine, DEVICE))
