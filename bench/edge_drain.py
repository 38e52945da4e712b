"""Drain time of N queued orders through the agent to an acking fake hub, vs the ceiling.

The agent runs as its own process (as in production); the fake hub acks in
batches, like the real ingest worker commits in batches. The ceiling is a
plain paho publisher and a do-nothing subscriber moving the same bytes.

Run: .venv/bin/python bench/edge_drain.py [--orders 10000] [--window 100]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from demo.broker import PrivateBroker
from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from edge_agent.store import DeviceStore
from protocol.codec import encode, parse
from protocol.envelope import make_envelope
from protocol.topics import device_downlink_topic, uplink_filter

SITE, DEVICE = "s1", "k1"
ROOT = Path(__file__).resolve().parents[1]
PROFILE = os.environ.get("EDGE_BENCH_PROFILE")  # a path: profile the agent process into it


class AckingHub:
    """Receives uplinks and acks them in batches of up to 500 or every 10 ms."""

    def __init__(self, broker: PrivateBroker) -> None:
        self.pending: list[str] = []
        self.ids: set[str] = set()
        self.lock = threading.Lock()
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-hub", protocol=MQTTProtocolVersion.MQTTv5
        )
        self.c.on_connect = lambda c, *a: c.subscribe(uplink_filter(SITE), qos=1)
        self.c.on_message = self._on_message
        self.c.connect(broker.host, broker.port)
        self.c.loop_start()
        self.stop = threading.Event()
        threading.Thread(target=self._flusher, daemon=True).start()

    def _on_message(self, c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        env = parse(bytes(msg.payload), topic=msg.topic)
        with self.lock:
            if env.type == "order.placed":
                self.ids.add(env.message_id)
            self.pending.append(env.message_id)
            full = len(self.pending) >= 500
        if full:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
        if batch:
            ack = make_envelope(
                "event.ack",
                {"acks": [{"message_id": m, "result": "ok"} for m in batch]},
                site=SITE,
                device="hub",
            )
            self.c.publish(device_downlink_topic(SITE, DEVICE, "ack"), encode(ack), qos=1)

    def _flusher(self) -> None:
        while not self.stop.is_set():
            time.sleep(0.01)
            self.flush()


def fill(store_path: Path, n: int) -> list[bytes]:
    """Queue n orders through the kiosk API; return their encoded bodies."""
    rng = random.Random(3)
    with DeviceStore(store_path, site_id=SITE, device_id=DEVICE, synchronous="NORMAL") as s:
        for _ in range(n):
            s.record_order(make_draft(rng, FALLBACK_DISHES))
        return [bytes(r[0]) for r in s.conn.execute("SELECT body FROM outbox ORDER BY seq")]


def depth(store_path: Path) -> int:
    with sqlite3.connect(store_path) as c:
        return int(c.execute("SELECT count(*) FROM outbox").fetchone()[0])


def drain(tmp: Path, broker: PrivateBroker, n: int, window: int) -> float:
    """Seconds from agent start until the outbox is empty."""
    store = tmp / "device.db"
    fill(store, n)
    hub = AckingHub(broker)
    time.sleep(0.3)
    conf = tmp / "agent.toml"
    conf.write_text(
        f'site_id = "{SITE}"\ndevice_id = "{DEVICE}"\nstore_path = "{store}"\n'
        f'log_level = "WARNING"\n[broker]\nhost = "{broker.host}"\nport = {broker.port}\n'
        f"[outbox]\nwindow = {window}\nack_timeout_s = 30\n"
    )
    t0 = time.perf_counter()
    prof = ["-m", "cProfile", "-o", str(PROFILE)] if PROFILE else []
    agent = subprocess.Popen(
        [sys.executable, *prof, "-m", "edge_agent", "--config", str(conf)], cwd=ROOT
    )
    try:
        while depth(store) > 0:
            time.sleep(0.02)
            if time.perf_counter() - t0 > 120:
                raise SystemExit("drain did not finish in 120 s")
        took = time.perf_counter() - t0
    finally:
        agent.terminate()
        agent.wait(10)
        hub.stop.set()
        hub.c.loop_stop()
    assert len(hub.ids) == n, (len(hub.ids), n)
    return took


def ceiling(broker: PrivateBroker, bodies: list[bytes]) -> float:
    """Seconds for a plain QoS 1 publisher -> do-nothing subscriber to move the same messages."""
    got = threading.Event()
    count = [0]

    def on_msg(c: Any, u: Any, m: Any) -> None:
        count[0] += 1
        if count[0] == len(bodies):
            got.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ceil-sub")
    sub.on_message = on_msg
    sub.connect(broker.host, broker.port)
    sub.subscribe("ceil/#", qos=1)
    sub.loop_start()
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ceil-pub")
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    for b in bodies:
        pub.publish("ceil/x", b, qos=1)
    got.wait(120)
    took = time.perf_counter() - t0
    pub.loop_stop()
    sub.loop_stop()
    return took


def main() -> None:
    """Print the drain time and the ceiling for the same messages."""
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=10_000)
    p.add_argument("--window", type=int, default=100)
    p.add_argument("--no-ceiling", action="store_true")
    p.add_argument(
        "--broker-extra",
        default="",
        help=r"extra mosquitto.conf lines, e.g. 'set_tcp_nodelay true' (\n-separated)",
    )
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        extra = args.broker_extra.replace("\\n", "\n")
        with PrivateBroker(tmp / "broker", extra_config=extra) as broker:
            took = drain(tmp, broker, args.orders, args.window)
            ceil = 0.0 if args.no_ceiling else ceiling(broker, fill(tmp / "ceil.db", args.orders))
    n = args.orders
    print(
        f"agent drain  : {n} orders in {took:6.2f} s = {n / took:8.0f}/s "
        f"(window {args.window}, includes agent start-up)"
    )
    if ceil:
        print(
            f"ceiling      : {n} msgs   in {ceil:6.2f} s = {n / ceil:8.0f}/s "
            "(plain paho QoS1 publish -> do-nothing subscriber)"
        )


if __name__ == "__main__":
    main()
