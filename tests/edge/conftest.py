"""Helpers of the edge tests: agent configs, a fake hub on the real broker, order drafts."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from demo.broker import PrivateBroker
from edge_agent.config import AgentConfig
from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from edge_agent.store import DeviceStore
from protocol.codec import encode, parse
from protocol.envelope import Envelope, make_envelope
from protocol.payloads.order import OrderPlaced
from protocol.topics import device_downlink_topic, site_downlink_topic, status_filter, uplink_filter
from tests.support.waiting import wait_for

SITE = "site1"
DEVICE = "kiosk1"
ROOT = Path(__file__).resolve().parents[2]

Decide = Callable[[Envelope, int], tuple[str, str | None] | None]
"""(envelope, times this id was seen) -> (result, reason), or None to stay silent."""


def draft(seed: int = 1) -> dict[str, Any]:
    """A valid order draft from the simulated kiosk's generator."""
    return make_draft(random.Random(seed), FALLBACK_DISHES)


def agent_config(tmp_path: Path, broker: PrivateBroker, **outbox: Any) -> AgentConfig:
    """An agent config tuned for tests: short timeouts, fast reconnects."""
    return AgentConfig.model_validate(
        {
            "site_id": SITE,
            "device_id": DEVICE,
            "store_path": str(tmp_path / "device.db"),
            "heartbeat_interval_s": 0.5,
            "broker": {
                "host": broker.host,
                "port": broker.port,
                "keepalive_s": 5,
                "reconnect_min_s": 0.1,
                "reconnect_max_s": 1.0,
            },
            "outbox": {"window": 50, "ack_timeout_s": 1.0, "max_retry_interval_s": 2.0, **outbox},
        }
    )


def write_config_file(cfg: AgentConfig, path: Path) -> Path:
    """Write cfg as the TOML file the CLI reads."""
    b, o = cfg.broker, cfg.outbox
    path.write_text(
        f'site_id = "{cfg.site_id}"\ndevice_id = "{cfg.device_id}"\n'
        f'store_path = "{cfg.store_path}"\nheartbeat_interval_s = {cfg.heartbeat_interval_s}\n'
        f'[broker]\nhost = "{b.host}"\nport = {b.port}\nkeepalive_s = {b.keepalive_s}\n'
        f"reconnect_min_s = {b.reconnect_min_s}\nreconnect_max_s = {b.reconnect_max_s}\n"
        f"[outbox]\nwindow = {o.window}\nack_timeout_s = {o.ack_timeout_s}\n"
        f"max_retry_interval_s = {o.max_retry_interval_s}\n"
    )
    return path


def open_store(cfg: AgentConfig) -> DeviceStore:
    """The kiosk's view of the device store named in cfg."""
    return DeviceStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id)




def outbox_depth(cfg: AgentConfig) -> int:
    """Rows still in the outbox (read through a fresh connection)."""
    with open_store(cfg) as s:
        return int(s.conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


class FakeHub:
    """A test double of the hub's ingest: subscribes on the real broker, acks through protocol."""

    def __init__(self, broker: PrivateBroker, decide: Decide | None = None) -> None:
        self.broker = broker
        self.decide: Decide = decide or (lambda env, n: ("ok", None))
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}  # message id -> deliveries
        self.orders: dict[str, int] = {}  # message id -> total_cents
        self.heartbeats: list[Envelope] = []
        self.status: dict[str, str] = {}
        self.bad: list[str] = []
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="fake-hub", protocol=MQTTProtocolVersion.MQTTv5
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.subscribed = threading.Event()
        self.client.reconnect_delay_set(1, 2)

    def start(self) -> FakeHub:
        """Connect with a persistent session and start paho's thread."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect(
            self.broker.host, self.broker.port, keepalive=5, clean_start=False, properties=props
        )
        self.client.loop_start()
        wait_for(self.subscribed.is_set, 5, "the fake hub's SUBACK")
        return self

    def stop(self) -> None:
        """Disconnect and stop paho's thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe([(uplink_filter(SITE), 1), (status_filter(SITE), 1)])

    def _on_subscribe(self, *_: Any) -> None:
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            env = parse(bytes(msg.payload), topic=msg.topic)
        except Exception as err:  # a test double: remember, never crash
            self.bad.append(str(err))
            return
        if env.type == "device.status":
            self.status[env.device] = getattr(env.payload, "state", "?")
            return
        if env.type == "device.heartbeat":
            self.heartbeats.append(env)
            return
        with self.lock:
            n = self.seen.get(env.message_id, 0) + 1
            self.seen[env.message_id] = n
            if isinstance(env.payload, OrderPlaced):
                self.orders[env.message_id] = env.payload.total_cents
        decision = self.decide(env, n)
        if decision is None:
            return
        result, reason = decision
        ack = make_envelope(
            "event.ack",
            {"acks": [{"message_id": env.message_id, "result": result, "reason": reason}]},
            site=SITE,
            device="hub",
        )
        client.publish(device_downlink_topic(SITE, env.device, "ack"), encode(ack), qos=1)

    def distinct(self) -> int:
        """Distinct message ids received."""
        with self.lock:
            return len(self.seen)

    def order_total(self) -> tuple[int, int]:
        """(distinct orders, sum of their totals) as the hub would count them."""
        with self.lock:
            return len(self.orders), sum(self.orders.values())

    def publish_site_downlink(self, kind: str, body: bytes) -> None:
        """Publish a retained site downlink (catalog, members) as the hub would."""
        self.client.publish(
            site_downlink_topic(SITE, kind), body, qos=1, retain=True
        ).wait_for_publish(5)

    def publish_device_downlink(self, kind: str, body: bytes) -> None:
        """Publish a retained downlink to the test device (config, members)."""
        self.client.publish(
            device_downlink_topic(SITE, DEVICE, kind), body, qos=1, retain=True
        ).wait_for_publish(5)


@pytest.fixture
def hub(broker: PrivateBroker) -> Iterator[FakeHub]:
    """A fake hub acking everything ok."""
    h = FakeHub(broker).start()
    try:
        yield h
    finally:
        h.stop()


def start_agent_process(config_path: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Run `python -m edge_agent` as its own process (so kill -9 is real)."""
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent", "--config", str(config_path)],
        cwd=ROOT,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )


def catalog_payload(version: int, price: int = 1800, sold_out: bool = False) -> dict[str, Any]:
    """A one-dish catalog snapshot payload at `version`."""
    return {
        "version": version,
        "generated_at": "2025-03-01T03:00:00Z",
        "meal_periods": [
            {
                "code": "lunch",
                "name_zh": "午餐",
                "name_en": "Lunch",
                "start": "11:00",
                "end": "13:30",
            }
        ],
        "dishes": [
            {
                "id": "d-kungpao",
                "name_zh": "宫保鸡丁",
                "name_en": "Kung Pao chicken",
                "category": "hot",
                "price_cents": price,
                "station": "wok",
                "sold_out": sold_out,
            }
        ],
        "menus": [{"meal_period": "lunch", "items": [{"dish_id": "d-kungpao"}]}],
    }


def catalog_msg(version: int, **kw: Any) -> bytes:
    """The catalog snapshot as the hub sends it (encoded envelope)."""
    return encode(
        make_envelope("catalog.snapshot", catalog_payload(version, **kw), site=SITE, device="hub")
    )
