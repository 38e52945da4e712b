"""Ingest throughput end to end (publish -> committed -> event.ack back), orders/s.

Compares, in one run on the same broker settings: the do-nothing paho subscriber
(the ceiling), the worker with batched commits, the worker committing each message
(the baseline), and two workers on the shared subscription; SQLite and PostgreSQL.

Run: .venv/bin/python bench/ingest_throughput.py [--orders 20000] [--baseline-orders 3000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from ingest_common import Fleet, broker, hub_db, make_orders, workers  # noqa: E402

from protocol import uplink_filter  # noqa: E402

DEVICES = ["k1", "k2", "k3", "k4"]


def run_sink(port: int, count: int) -> None:
    """Child process: a do-nothing v5 shared subscriber; prints wall time of the last message."""
    got = [0]

    def on_message(_c: object, _u: object, _m: object) -> None:
        got[0] += 1
        if got[0] == count:
            print(time.time(), flush=True)

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="sink",
                    protocol=MQTTProtocolVersion.MQTTv5)
    c.on_message = on_message
    c.on_connect = lambda cl, *_: cl.subscribe(uplink_filter(share_group="ingest"), qos=1)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 60
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    print("ready", flush=True)
    while got[0] < count:
        c.loop(0.1)


def ceiling(workdir: Path, n: int) -> float:
    """Orders/s through the broker to a subscriber that does nothing."""
    import subprocess

    orders = make_orders(DEVICES, n)
    with broker(workdir) as b:
        sink = subprocess.Popen([sys.executable, __file__, "--sink", str(b.port), str(n)],
                                stdout=subprocess.PIPE, text=True)
        assert sink.stdout is not None
        sink.stdout.readline()
        time.sleep(0.3)
        fleet = Fleet(b, DEVICES)
        t0 = time.time()
        for device, _, topic, raw in orders:
            fleet.publish(device, topic, raw)
        end = float(sink.stdout.readline())
        sink.wait(10)
        fleet.close()
    return n / (end - t0)


def through_workers(workdir: Path, backend: str, n: int, n_workers: int,
                    *args: str) -> float:
    """Orders/s from the first publish to the last event.ack, through real worker processes."""
    orders = make_orders(DEVICES, n)
    with broker(workdir) as b, hub_db(workdir, backend, DEVICES) as settings, \
            workers(settings, b, n_workers, *args):
        fleet = Fleet(b, DEVICES)
        fleet.expect = n
        t0 = time.perf_counter()
        for device, _, topic, raw in orders:
            fleet.publish(device, topic, raw)
        if not fleet.done.wait(600):
            raise RuntimeError(f"only {len(fleet.acked)} of {n} acknowledged")
        elapsed = max(fleet.acked.values()) - t0
        fleet.close()
    return n / elapsed


def main() -> None:
    """Run every configuration and print a Markdown table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--orders", type=int, default=20_000)
    p.add_argument("--baseline-orders", type=int, default=3_000)
    p.add_argument("--sink", nargs=2, type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.sink:
        run_sink(*args.sink)
        return
    n, nb = args.orders, args.baseline_orders
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        top = ceiling(work, n)
        rows.append(("do-nothing paho subscriber (ceiling)", "-", n, top))
        for backend in ("sqlite", "postgres"):
            rows.append(("1 worker, one commit per message (baseline)", backend, nb,
                         through_workers(work, backend, nb, 1, "--max-batch", "1")))
            rows.append(("1 worker, batched commits (<=500 / 5 ms)", backend, n,
                         through_workers(work, backend, n, 1)))
            rows.append(("2 workers on $share, batched", backend, n,
                         through_workers(work, backend, n, 2)))
    print("| path | database | orders | orders/s | vs ceiling |")
    print("|---|---|---:|---:|---:|")
    for name, db, count, rate in rows:
        print(f"| {name} | {db} | {count:,} | {rate:,.0f} | {rate / top:.2f}x |")


if __name__ == "__main__":
    main()
