"""A site broker bridged to the central broker (config from hub.fleet.bridge): a kiosk on the
site broker, the hub's ingest worker on the central one; the central broker is killed and
restarted mid-service, and every order reaches the hub once, with its ack back at the kiosk."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from edge_agent.store import DeviceStore
from hub.db import make_engine
from hub.fleet.bridge import BridgeSettings, bridge_topics, render_bridge_config
from hub.ingest.worker import IngestWorker, WorkerSettings
from hub.migrate import upgrade_to_head
from hub.models import DeviceKind
from hub.models.orders import Order
from tests.hub.conftest import make_settings
from tests.support.fleet_access import seed_sites_and_devices
from tests.support.kitchen import LUNCH, draft
from tests.support.waiting import wait_for

SITE = "site-1"


def outbox(store: Path) -> int:
    eng = sa.create_engine(f"sqlite:///{store}")
    try:
        with eng.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one())
    finally:
        eng.dispose()


def test_nothing_lost_and_nothing_doubled_across_a_cut_bridge(tmp_path: Path) -> None:
    central = PrivateBroker(tmp_path / "central").start()
    bridge = BridgeSettings(site=SITE, central_host=central.host, central_port=central.port,
                            restart_base_s=1, restart_cap_s=2)
    site = PrivateBroker(tmp_path / "site", extra_config=render_bridge_config(bridge)).start()
    settings = make_settings(tmp_path)
    engine = make_engine(settings)
    upgrade_to_head(engine)
    with Session(engine) as s:
        seed_sites_and_devices(s, {"kiosk-1": (SITE, DeviceKind.KIOSK)})
    worker = IngestWorker(engine, WorkerSettings(host=central.host, port=central.port,
                                                 worker_id="central", max_wait_ms=20))
    worker.start()
    worker.run_in_thread()
    store = tmp_path / "kiosk-1.db"
    agent = Agent(AgentConfig.model_validate({
        "site_id": SITE, "device_id": "kiosk-1", "store_path": store,
        "broker": {"host": site.host, "port": site.port, "reconnect_max_s": 1.0},
        "outbox": {"ack_timeout_s": 2.0, "max_retry_interval_s": 4.0}}))
    agent.start()
    ids: list[str] = []

    def orders_at_hub() -> int:
        with Session(engine) as s:
            return len(s.exec(select(Order.id)).all())

    try:
        with DeviceStore(store, site_id=SITE, device_id="kiosk-1") as kiosk:
            ids += [kiosk.record_order(draft(*LUNCH)).payload.order_id for _ in range(5)]
            wait_for(lambda: orders_at_hub() == 5 and outbox(store) == 0, 30,
                     lambda: f"5 orders through the bridge (hub has {orders_at_hub()})")
            central.kill()  # the site's link to the hub is cut: the kiosk keeps selling
            ids += [kiosk.record_order(draft(*LUNCH)).payload.order_id for _ in range(5)]
            assert outbox(store) == 5
            central.start()  # same port, its persistence kept the hub's session
            wait_for(lambda: outbox(store) == 0, 60,
                     lambda: f"every ack back at the kiosk ({outbox(store)} unacked)")
        with Session(engine) as s:
            at_hub = [o for (o,) in s.execute(sa.text("SELECT id FROM orders")).all()]
        assert sorted(at_hub) == sorted(ids)  # all ten, each once
    finally:
        agent.stop()
        worker.stop()
        site.stop()
        central.stop()
        engine.dispose()


def test_the_bridge_carries_only_its_sites_topics() -> None:
    conf = render_bridge_config(BridgeSettings(site=SITE, central_host="hub.example",
                                               cafile=Path("/etc/canteen/ca.crt"),
                                               username="bridge-site-1", password="pw"))
    assert "address hub.example:8883" in conf and "bridge_cafile /etc/canteen/ca.crt" in conf
    assert "cleansession false" in conf and "remote_clientid bridge-site-1" in conf
    topics = [line.split()[1:] for line in conf.splitlines() if line.startswith("topic ")]
    assert topics == [[p, d, "1"] for p, d in bridge_topics(SITE)]
    assert all(f"/site/{SITE}/" in p for p, _ in bridge_topics(SITE))
    for bad in ("Site 1", "a/b", "#"):
        with pytest.raises(ValueError):
            render_bridge_config(BridgeSettings(site=bad, central_host="h"))


def test_the_bridge_block_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from hub.fleet.cli import main

    assert main(["bridge-config", "--site", SITE, "--central", "hub.example:8883"]) == 0
    assert "connection hub-site-1" in capsys.readouterr().out
    assert main(["bridge-config", "--site", "Site 1", "--central", "hub.example:8883"]) == 2
    assert main(["bridge-config", "--site", SITE, "--central", "hub.example"]) == 2
    assert "host:port" in capsys.readouterr().err
