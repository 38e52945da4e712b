"""TLS end to end: certificates from the site CA recipe (scripts/make-site-ca), a Mosquitto TLS
listener, a kiosk's agent publishing an order over TLS and the hub's ingest worker taking it."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlmodel import Session

from demo.broker import PrivateBroker, free_port
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from edge_agent.store import DeviceStore
from hub.db import make_engine
from hub.fleet.tls import CA_FILE, listener_lines
from hub.ingest.worker import IngestWorker, WorkerSettings
from hub.migrate import upgrade_to_head
from hub.models.orders import Order
from tests.hub.conftest import make_settings
from tests.support.fleet_access import seed_sites_and_devices
from tests.support.kitchen import LUNCH, draft
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "scripts" / "make-site-ca"
NAME = "localhost"


def make_certs(out: Path, *names: str) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    subprocess.run([str(RECIPE), str(out), NAME, *names], check=True, capture_output=True)


def test_an_order_travels_over_tls_from_the_agent_to_the_hub(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    make_certs(certs, "127.0.0.1")
    tls_port = free_port()
    broker = PrivateBroker(tmp_path / "broker",
                           extra_config=listener_lines(certs, NAME, port=tls_port,
                                                       bind="127.0.0.1"))
    settings = make_settings(tmp_path)
    engine = make_engine(settings)
    upgrade_to_head(engine)
    with Session(engine) as s:
        seed_sites_and_devices(s, {"kiosk-1": ("site-1", "kiosk")})  # type: ignore[dict-item]
    with broker:
        worker = IngestWorker(engine, WorkerSettings(
            host=NAME, port=tls_port, worker_id="tls", tls_ca_file=str(certs / CA_FILE)))
        worker.start()
        worker.run_in_thread()
        store = tmp_path / "kiosk-1.db"
        config = AgentConfig.model_validate({
            "site_id": "site-1", "device_id": "kiosk-1", "store_path": store,
            "broker": {"host": NAME, "port": tls_port, "tls_ca_file": certs / CA_FILE}})
        agent = Agent(config)
        agent.start()
        try:
            with DeviceStore(store, site_id="site-1", device_id="kiosk-1") as kiosk:
                order = kiosk.record_order(draft(*LUNCH))

            def at_hub() -> bool:
                with Session(engine) as s:
                    return s.get(Order, order.payload.order_id) is not None

            wait_for(at_hub, 30, "the order at the hub, over TLS")
            wait_for(lambda: _outbox(store) == 0, 15, "the hub's ack back on the kiosk")
        finally:
            agent.stop()
            worker.stop()
        # A client that does not trust the site CA gets no connection at all.
        other = tmp_path / "other"
        make_certs(other)
        assert not _tls_connects(tls_port, other / CA_FILE)
        assert _tls_connects(tls_port, certs / CA_FILE)
    engine.dispose()


def _outbox(store: Path) -> int:
    eng = sa.create_engine(f"sqlite:///{store}")
    try:
        with eng.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one())
    finally:
        eng.dispose()


def _tls_connects(port: int, ca: Path) -> bool:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="tls-probe",
                         protocol=MQTTProtocolVersion.MQTTv5)
    client.tls_set(ca_certs=str(ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    try:
        client.connect(NAME, port, keepalive=5)
    except (ssl.SSLError, OSError):
        return False
    client.disconnect()
    return True
