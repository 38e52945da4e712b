"""Order on a kiosk -> ticket drawn on the KDS, at a lunch-rush burst (default 20 orders/s).

Run: xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/kitchen_latency.py
     [--orders 200] [--rate 20]

Path measured: DeviceStore.record_order (order + outbox row, one commit) -> the kiosk's
edge agent, a real process, publishes at QoS 1 -> a private Mosquitto -> the KDS link
(persistent session, manual ack after the SQLite commit) -> the screen's coalescing
trigger -> KdsController refresh -> RecycleView data -> the first frame flipped that
shows the ticket. Baseline in the same run: the bare broker round trip (paho publish of
the same bytes -> a paho subscriber's on_message) at the same rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.broker import PrivateBroker  # noqa: E402

DRAFT = {"meal_period": "lunch", "member_id": None, "subtotal_cents": 1500,
         "total_cents": 1500, "paid": True,
         "payments": [{"method": "stored_value", "amount_cents": 1500}],
         "lines": [{"dish_id": "kung-pao-chicken", "name_zh": "宫保鸡丁",
                    "name_en": "Kung Pao Chicken", "qty": 1, "unit_price_cents": 1000,
                    "line_total_cents": 1000, "station": "wok", "modifiers": [],
                    "note": "不要香菜"},
                   {"dish_id": "rice", "name_zh": "米饭", "name_en": "Rice", "qty": 1,
                    "unit_price_cents": 500, "line_total_cents": 500, "station": "wok",
                    "modifiers": []}]}


def pct(xs: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def broker_round_trip(broker: PrivateBroker, n: int, rate: float) -> list[float]:
    """Milliseconds from publish to on_message, QoS 1, one message every 1/rate s."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from protocol import make_envelope, new_order_id
    from protocol.codec import encode

    sent: dict[int, float] = {}
    got: dict[int, float] = {}
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-sub")

    def on_message(_c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        got.setdefault(int(m.topic.rsplit("/", 1)[1]), time.perf_counter())

    sub.on_message = on_message
    sub.connect(broker.host, broker.port)
    sub.subscribe("bench/#", qos=1)
    sub.loop_start()
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub")
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    time.sleep(0.5)
    payload = {**DRAFT, "order_id": new_order_id(), "order_no": "A001",
               "placed_at": "2025-03-01T04:30:00Z"}
    body = encode(make_envelope("order.placed", payload, site="site-1", device="kiosk-1"))
    start = time.perf_counter()
    for i in range(n):
        time.sleep(max(0.0, start + i / rate - time.perf_counter()))
        sent[i] = time.perf_counter()
        pub.publish(f"bench/{i}", body, qos=1)
    deadline = time.monotonic() + 10
    while len(got) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    for c in (pub, sub):
        c.loop_stop()
        c.disconnect()
    return [(got[i] - sent[i]) * 1000 for i in sent if i in got]


def write_configs(work: Path, broker: PrivateBroker) -> tuple[Path, Path]:
    """Agent TOML for the kiosk and KDS TOML (wok only); no hub on this site."""
    agent = work / "kiosk-1.agent.toml"
    agent.write_text(
        f'site_id = "site-1"\ndevice_id = "kiosk-1"\nstore_path = "{work / "kiosk-1.db"}"\n'
        f"[broker]\nport = {broker.port}\nkeepalive_s = 5\n"
        "[outbox]\nwindow = 10000\nack_timeout_s = 600\nmax_retry_interval_s = 600\n")
    kds = work / "kds-1.toml"
    kds.write_text(
        f'mode = "kds"\nsite_id = "site-1"\ndevice_id = "kds-1"\n'
        f'store_path = "{work / "kds-1.db"}"\nbroker_port = {broker.port}\n'
        'stations = ["wok"]\nlanguage = "zh"\nannounce = "off"\n')
    return agent, kds


def kiosk_to_screen(kds_conf: Path, kiosk_db: Path, n: int, rate: float) -> list[float]:
    """Run the KDS window here; a thread records n orders at rate; ms until each is drawn."""
    from kivy.config import Config

    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    from kivy.clock import Clock
    from kivy.core.window import Window

    from edge_agent.kitchen.config import load_kitchen_config
    from edge_agent.store import DeviceStore
    from kiosk.app import KioskApp, configure_window
    from kiosk.kds.wiring import KitchenServices
    from protocol import new_order_id

    cfg = load_kitchen_config(kds_conf)
    configure_window(True, (1280, 800))
    services = KitchenServices(cfg)
    app = KioskApp(services, None, mode="kds")
    recorded: dict[str, float] = {}
    drawn: dict[str, float] = {}
    lock = threading.Lock()
    state = {"started": False, "finished": False}

    def burst() -> None:
        kiosk = DeviceStore(kiosk_db, site_id="site-1", device_id="kiosk-1")
        start = time.perf_counter()
        for i in range(n):
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            oid = new_order_id()
            with lock:
                recorded[oid] = time.perf_counter()
            kiosk.record_order({**DRAFT, "order_id": oid})
        kiosk.close()

    def on_flip(*_a: object) -> None:
        root = app.root
        if root is None:
            return
        now = time.perf_counter()
        with lock:
            for card in root.cards:
                oid = card["order_id"]
                if oid in recorded and oid not in drawn:
                    drawn[oid] = now

    def tick(_dt: float) -> None:
        root = app.root
        if root is None:
            return
        if not state["started"] and root.controller.link.connected:
            state["started"] = True
            threading.Thread(target=burst, daemon=True).start()
        if state["started"] and len(drawn) >= n and not state["finished"]:
            state["finished"] = True
            app.stop()

    Window.bind(on_flip=on_flip)
    Clock.schedule_interval(tick, 0.1)
    Clock.schedule_once(lambda _dt: app.stop(), 30 + n / rate)  # a safety net
    try:
        app.run()
    finally:
        services.stop()
    missing = n - len(drawn)
    if missing:
        print(f"  WARNING: {missing} of {n} orders never drawn")
    return [(drawn[o] - recorded[o]) * 1000 for o in drawn]


def main() -> None:
    """Print the baseline and the kiosk-to-screen figures."""
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=200)
    p.add_argument("--rate", type=float, default=20.0)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kds-latency-"))
    os.environ.setdefault("KIVY_HOME", str(work / "kivy"))
    broker = PrivateBroker(work / "broker")
    broker.start()
    agent = None
    try:
        base = broker_round_trip(broker, args.orders, args.rate)
        agent_conf, kds_conf = write_configs(work, broker)
        agent = subprocess.Popen([sys.executable, "-m", "edge_agent", "--config",
                                  str(agent_conf)], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        e2e = kiosk_to_screen(kds_conf, work / "kiosk-1.db", args.orders, args.rate)
    finally:
        if agent is not None:
            agent.kill()
            agent.wait(10)
        broker.stop()
    print(f"{args.orders} orders at {args.rate:g}/s, private Mosquitto, 1280x800 under Xvfb")
    print(f"  bare broker round trip (baseline):  p50 {statistics.median(base):6.1f} ms"
          f"   p99 {pct(base, 0.99):6.1f} ms")
    print(f"  kiosk record_order -> KDS frame:    p50 {statistics.median(e2e):6.1f} ms"
          f"   p99 {pct(e2e, 0.99):6.1f} ms   max {max(e2e):6.1f} ms"
          f"   ({len(e2e)} drawn)")


if __name__ == "__main__":
    main()
