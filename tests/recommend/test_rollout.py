"""The lifecycle end to end: hub history -> train -> stored version -> broker -> device model."""

from __future__ import annotations

from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, select

from demo.broker import PrivateBroker
from edge_agent import db
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from edge_agent.model_store import read_active
from hub.crypto import FieldCipher
from hub.db import make_engine
from hub.downlinks.models import publish_model
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher
from hub.models.recommend import RecommendModel
from hub.recommend.cli import main
from hub.recommend.history import seed_order_history
from hub.recommend.service import train_site
from hub.seed import seed_demo
from hub.seed.sites import SITES
from hub.settings import Settings
from protocol.codec import parse
from protocol.payloads.device import DeviceHeartbeat
from protocol.topics import uplink_topic
from tests.support.hub_db import migrated_engine
from tests.support.waiting import wait_for

SITE = SITES[0].code


@pytest.fixture(scope="module")
def hub_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded hub database with two weeks of order history."""
    directory = tmp_path_factory.mktemp("hub")
    engine = migrated_engine(directory)
    with Session(engine) as session:
        seed_demo(session, cipher=FieldCipher.from_settings(Settings(demo_mode=True)))
    assert seed_order_history(engine, SITE, days=14) > 1000
    assert seed_order_history(engine, SITE, days=14) == 0  # only once
    engine.dispose()
    return directory


def test_recommend_train_command_stores_a_version(
        hub_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CANTEEN_DEMO_MODE", "true")
    monkeypatch.setenv("CANTEEN_DATA_DIR", str(hub_dir))
    monkeypatch.setenv("CANTEEN_DATABASE_URL", str(make_engine(
        Settings(demo_mode=True, data_dir=hub_dir)).url))
    assert main(["train", "--site", SITE, "--no-tune"]) == 0
    out, err = capsys.readouterr()
    assert f"site {SITE}: model v" in out and "[" in err  # the progress bar
    assert main(["train", "--site", "no-such-site", "--quiet"]) == 3
    assert "not trained" in capsys.readouterr().err


def test_a_trained_model_reaches_a_device_through_the_broker(
        tmp_path: Path, hub_dir: Path, broker: PrivateBroker) -> None:
    engine = make_engine(Settings(demo_mode=True, data_dir=hub_dir))
    first = train_site(engine, SITE, tune=False)
    second = train_site(engine, SITE, tune=False)
    assert second.version == first.version + 1
    with Session(engine) as session:
        row = session.exec(select(RecommendModel)
                           .where(RecommendModel.version == second.version)).one()
        assert row.manifest["sha256"] == row.sha256
        assert row.manifest["version"] == second.version
        assert row.manifest["inputs"]["history"] == ["float32", 1, row.dishes]
        assert row.catalog_version >= 1 and row.orders_used == second.orders

    cfg = AgentConfig.model_validate({
        "site_id": SITE, "device_id": "kiosk-1", "store_path": str(tmp_path / "dev" / "d.db"),
        "heartbeat_interval_s": 0.5,
        "broker": {"host": broker.host, "port": broker.port, "reconnect_min_s": 0.1,
                   "reconnect_max_s": 1.0}})
    beats: list[str | None] = []
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hub-listener")
    listener.on_message = lambda _c, _u, msg: beats.append(
        parse(bytes(msg.payload), topic=msg.topic).payload_as(DeviceHeartbeat).model_version)
    listener.connect(broker.host, broker.port)
    listener.subscribe(uplink_topic(SITE, "kiosk-1", "device.heartbeat"), qos=1)
    listener.loop_start()
    agent = Agent(cfg)
    agent.start()
    try:
        # retained per device: delivered whether the agent subscribed before or after
        with OneShotPublisher(BrokerTarget(broker.host, broker.port)) as pub:
            sent = publish_model(engine, SITE, "kiosk-1", pub, version=first.version)
        assert sent.version == first.version and sent.topic.endswith("/device/kiosk-1/down/model")
        conn = db.connect(cfg.store_path)

        def active_version() -> int | None:
            active = read_active(conn)
            return None if active is None else active.version

        wait_for(lambda: active_version() == first.version, 20, "model v1 on the device")
        wait_for(lambda: str(first.version) in beats, 10, "a heartbeat reporting model 1")
        with OneShotPublisher(BrokerTarget(broker.host, broker.port)) as pub:
            publish_model(engine, SITE, "kiosk-1", pub)  # the newest: v2
        wait_for(lambda: active_version() == second.version, 20, "model v2 on the device")
        wait_for(lambda: str(second.version) in beats, 10, "a heartbeat reporting model 2")
        conn.close()
    finally:
        agent.stop()
        listener.loop_stop()
        listener.disconnect()
        engine.dispose()
