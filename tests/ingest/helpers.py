"""Helpers of the ingest tests: a migrated hub database, worker subprocesses, a device on MQTT."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy.engine import Engine
from sqlmodel import Session

from demo.broker import PrivateBroker
from edge_agent.config import AgentConfig
from edge_agent.store import DeviceStore
from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.models import Device, DeviceKind, Site
from hub.settings import Settings
from protocol import EventAck, device_downlink_topic, parse
from tests.hub.conftest import STRONG_SECRETS
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SITE = "site1"


def prepare_hub(settings: Settings, devices: Iterable[str], site: str = SITE) -> Engine:
    """Migrate the hub database and register a site with these devices."""
    engine = make_engine(settings)
    upgrade_to_head(engine, schema=settings.db_schema)
    with Session(engine) as session:
        s = Site(code=site, name_zh="一食堂", name_en="Canteen 1")
        session.add(s)
        session.flush()
        assert s.id is not None
        for code in devices:
            session.add(Device(code=code, kind=DeviceKind.KIOSK, site_id=s.id))
        session.commit()
    return engine


def hub_env(settings: Settings, broker: PrivateBroker) -> dict[str, str]:
    """Environment a worker subprocess reads its Settings and broker from."""
    env = {**os.environ, "CANTEEN_DATA_DIR": str(settings.data_dir),
           "CANTEEN_DATABASE_URL": settings.effective_database_url,
           "CANTEEN_MQTT_HOST": broker.host, "CANTEEN_MQTT_PORT": str(broker.port),
           "PYTHONPATH": str(ROOT)}
    env.update({f"CANTEEN_{k.upper()}": v for k, v in STRONG_SECRETS.items()})
    if settings.db_schema:
        env["CANTEEN_DB_SCHEMA"] = settings.db_schema
    return env


def start_worker(settings: Settings, broker: PrivateBroker, worker_id: str, log_dir: Path,
                 *extra: str, wait: bool = True,
                 catalog: bool = False) -> subprocess.Popen[bytes]:
    """Start `python -m hub.ingest` as a real process; its log goes to log_dir."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"ingest-{worker_id}.log"
    seen = log.read_text().count("subscribed to") if log.exists() else 0
    out = open(log, "ab")  # noqa: SIM115 (lives with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub.ingest", "--worker-id", worker_id,
         *([] if catalog else ["--no-catalog"]), *extra],
        env=hub_env(settings, broker), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    if wait:
        # The first subscription creates the session: nothing published before it is queued.
        wait_for(lambda: log.read_text().count("subscribed to") > seen or proc.poll() is not None,
                 30, f"worker {worker_id} to subscribe")
        assert proc.poll() is None, log.read_text()[-2000:]
    return proc


def stop(proc: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    """SIGTERM (or SIGKILL) a process and wait for it."""
    if proc.poll() is None:
        if kill:
            proc.kill()
        else:
            proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class FakeDevice:
    """A device's MQTT side for tests: publishes raw bytes, collects the hub's acks."""

    def __init__(self, broker: PrivateBroker, device: str, site: str = SITE) -> None:
        self.device, self.site = device, site
        self.acks: dict[str, list[tuple[str, str | None]]] = {}
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{device}",
                                  protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.max_inflight_messages_set(1000)
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(device_downlink_topic(site, device, "ack"), qos=1)
        self.client.loop_start()
        wait_for(subscribed.is_set, 5, f"the SUBACK of {device}'s ack topic")

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            env = parse(bytes(msg.payload), topic=msg.topic)
        except Exception as err:  # a bad ack must fail the test, not kill paho's thread
            self.errors.append(repr(err))
            return
        with self.lock:
            for a in env.payload_as(EventAck).acks:
                self.acks.setdefault(a.message_id, []).append((a.result, a.reason))

    def publish(self, topic: str, raw: bytes) -> None:
        """Publish at QoS 1 and wait for the broker to have it."""
        self.client.publish(topic, raw, qos=1).wait_for_publish(5)

    def result(self, message_id: str) -> list[tuple[str, str | None]]:
        """Every ack received for this id."""
        with self.lock:
            return list(self.acks.get(message_id, []))

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()




def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    """One value of a query."""
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def recorded_orders(path: Path, device: str, n: int, seed: int = 1,
                    site: str = SITE) -> list[tuple[str, str, bytes, int]]:
    """Record n orders in a real device store; (message id, topic, body, total) of each."""
    import random

    from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
    from edge_agent.store import DeviceStore

    rng = random.Random(seed)
    out = []
    with DeviceStore(path, site_id=site, device_id=device, synchronous="NORMAL") as store:
        for _ in range(n):
            rec = store.record_order(make_draft(rng, FALLBACK_DISHES))
            topic, body = store.conn.execute(
                "SELECT topic, body FROM outbox WHERE message_id = ?", (rec.message_id,)
            ).fetchone()
            out.append((rec.message_id, topic, bytes(body), rec.total_cents))
    return out


def api_headers(app: Any, role: str) -> dict[str, str]:
    """Authorization header for a user of this role on the app's database."""
    from hub.models.users import Role
    from hub.security import create_access_token
    from tests.hub.conftest import ensure_user

    user = ensure_user(app, username=f"{role}-user", role=Role(role))
    token = create_access_token(username=user.username, role=Role(role),
                                secret=app.state.settings.secret_key.get_secret_value(),
                                minutes=5)
    return {"Authorization": f"Bearer {token}"}


def agent_config(tmp: Path, broker: PrivateBroker, device: str, window: int = 200,
                 ack_timeout_s: float = 3.0, max_retry_interval_s: float = 6.0) -> Path:
    """Write the TOML of a test agent for `device` (store `<device>.db` in tmp); its path."""
    cfg = AgentConfig.model_validate({
        "site_id": SITE, "device_id": device, "store_path": str(tmp / f"{device}.db"),
        "heartbeat_interval_s": 1.0,
        "broker": {"host": broker.host, "port": broker.port, "keepalive_s": 5,
                   "reconnect_min_s": 0.1, "reconnect_max_s": 1.0},
        "outbox": {"window": window, "ack_timeout_s": ack_timeout_s,
                   "max_retry_interval_s": max_retry_interval_s},
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
