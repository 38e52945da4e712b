"""Shared parts of the ingest benchmarks: broker, hub database, worker processes, a device fleet.

Everything is real: a private Mosquitto, `python -m hub.ingest` processes, SQLite
files or a PostgreSQL schema. The fleet publishes ready-made order messages and
collects the hub's event.acks, so "done" means committed and acknowledged.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from cryptography.fernet import Fernet
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlmodel import Session

from demo.broker import PrivateBroker
from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.models import Device, DeviceKind, Site
from hub.settings import Settings
from protocol import EventAck, device_downlink_topic, encode, make_envelope, new_order_id, parse

ROOT = Path(__file__).resolve().parents[1]
SITE = "site1"
PG_URL = os.environ.get("CANTEEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
SECRETS = {"CANTEEN_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
           "CANTEEN_FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
           "CANTEEN_LOOKUP_HASH_KEY": "bench-lookup-hash-key-0123456789abcdef0123"}
# Timed autosave (see docs/performance.md): saving on every change caps a session
# at a few hundred messages per second.
TIMED_AUTOSAVE = "autosave_on_changes false\nautosave_interval 1\nset_tcp_nodelay true"


@contextmanager
def broker(workdir: Path, *, per_change_autosave: bool = False) -> Iterator[PrivateBroker]:
    """A private Mosquitto for one measurement."""
    b = PrivateBroker(workdir / f"broker-{uuid.uuid4().hex[:6]}",
                      extra_config="" if per_change_autosave else TIMED_AUTOSAVE)
    b.start()
    try:
        yield b
    finally:
        b.stop()


@contextmanager
def hub_db(workdir: Path, backend: str, devices: list[str]) -> Iterator[Settings]:
    """A migrated hub database with one site and these devices; PostgreSQL in a fresh schema."""
    schema = None
    if backend == "postgres":
        schema = f"b_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        settings = Settings(_env_file=None, demo_mode=True, database_url=PG_URL,
                            db_schema=schema, data_dir=workdir)
    else:
        settings = Settings(_env_file=None, demo_mode=True,
                            data_dir=workdir / f"hub-{uuid.uuid4().hex[:6]}")
    engine = make_engine(settings)
    upgrade_to_head(engine, schema=schema)
    with Session(engine) as s:
        site = Site(code=SITE, name_zh="一食堂", name_en="Canteen 1")
        s.add(site)
        s.flush()
        for d in devices:
            s.add(Device(code=d, kind=DeviceKind.KIOSK, site_id=site.id))  # type: ignore[arg-type]
        s.commit()
    engine.dispose()
    try:
        yield settings
    finally:
        if schema:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def worker_env(settings: Settings, b: PrivateBroker, root: Path = ROOT) -> dict[str, str]:
    """Environment of a worker process running the code in ``root``."""
    env = {**os.environ, **SECRETS, "CANTEEN_DEMO_MODE": "true",
           "CANTEEN_DATA_DIR": str(settings.data_dir),
           "CANTEEN_DATABASE_URL": settings.effective_database_url,
           "CANTEEN_MQTT_HOST": b.host, "CANTEEN_MQTT_PORT": str(b.port),
           "PYTHONPATH": str(root), "CANTEEN_LOG_LEVEL": "WARNING"}
    if settings.db_schema:
        env["CANTEEN_DB_SCHEMA"] = settings.db_schema
    return env


@contextmanager
def workers(settings: Settings, b: PrivateBroker, n: int, *args: str,
            crash: bool = False, root: Path = ROOT) -> Iterator[None]:
    """n worker processes on the shared subscription, started and subscribed.

    At the end they get SIGTERM (a clean stop ends their sessions), or SIGKILL with
    ``crash``: their sessions then stay at the broker for their session expiry.
    ``root``: the source tree the workers run (a baseline exported by ``export_tree``).
    """
    procs = []
    for i in range(n):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "hub.ingest", "--worker-id", f"bench{i}", "--no-catalog",
             "--log-level", "INFO", *args],
            env=worker_env(settings, b, root), cwd=root, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        ))
    try:
        for p in procs:
            assert p.stdout is not None
            for line in p.stdout:  # wait for "subscribed": the session exists from then on
                if "subscribed to" in line:
                    break
            else:
                raise RuntimeError("worker exited before subscribing")
            # Keep reading its log: a full pipe would block the worker in its next log line.
            threading.Thread(target=_drain, args=(p.stdout,), daemon=True).start()
        yield
    finally:
        for p in procs:
            if crash:
                p.kill()
            else:
                p.terminate()
            p.wait(30)


def export_tree(ref: str, dest: Path) -> Path:
    """The source tree of git ``ref`` (e.g. the commit before a change) in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def _drain(stream: Any) -> None:
    for _ in stream:
        pass


def make_orders(devices: list[str], n: int, seed: int = 1) -> list[tuple[str, str, str, bytes]]:
    """n order messages spread over the devices: (device, message id, topic, bytes)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        device = devices[i % len(devices)]
        draft = make_draft(rng, FALLBACK_DISHES)
        env = make_envelope("order.placed", {**draft, "order_id": new_order_id(),
                                             "order_no": f"A{i % 9999:04d}",
                                             "placed_at": time_now()},
                            site=SITE, device=device)
        out.append((device, env.message_id, env.topic(), encode(env)))
    return out


def time_now() -> Any:
    """Now, aware UTC."""
    from datetime import UTC, datetime

    return datetime.now(UTC)


class Fleet:
    """One MQTT client per device: publishes at QoS 1, records when each ack came back."""

    def __init__(self, b: PrivateBroker, devices: list[str]) -> None:
        self.acked: dict[str, float] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.expect = 0
        self.clients = {}
        for d in devices:
            c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{d}",
                            protocol=MQTTProtocolVersion.MQTTv5)
            c.max_inflight_messages_set(100)
            c.on_message = self._on_ack
            c.connect(b.host, b.port)
            sock = c.socket()
            if isinstance(sock, socket.socket):  # as a device would (paho leaves Nagle on)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c.subscribe(device_downlink_topic(SITE, d, "ack"), qos=1)
            c.loop_start()
            self.clients[d] = c
        time.sleep(0.3)

    def _on_ack(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        acks = parse(bytes(msg.payload)).payload_as(EventAck).acks
        with self.lock:
            for a in acks:
                self.acked.setdefault(a.message_id, now)
            if self.expect and len(self.acked) >= self.expect:
                self.done.set()

    def publish(self, device: str, topic: str, raw: bytes) -> Any:
        """Queue one QoS 1 publish."""
        return self.clients[device].publish(topic, raw, qos=1)

    def close(self) -> None:
        """Disconnect every client."""
        for c in self.clients.values():
            c.disconnect()
            c.loop_stop()
