"""Ingest throughput end to end (publish -> committed -> event.ack back), orders/s.

Compares, in one run on the same broker settings: the do-nothing paho subscriber
(the ceiling), the worker of a baseline commit (the old path: its source tree exported
with ``git archive`` and run as is) and of this tree (the new path), one and two workers
on the shared subscription, SQLite and PostgreSQL, each with its ratio to the ceiling.
Then the kiosk side: protocol encode and parse per order, baseline tree and this one.

Run: .venv/bin/python bench/ingest_throughput.py [--orders 10000] [--baseline-ref 643fdb5]
     [--per-message]  (also the one-commit-per-message worker, --baseline-orders of them)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from ingest_common import (  # noqa: E402
    ROOT,
    Fleet,
    broker,
    export_tree,
    hub_db,
    make_orders,
    workers,
)

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
                    *args: str, root: Path = ROOT) -> float:
    """Orders/s from the first publish to the last event.ack, through real worker processes."""
    orders = make_orders(DEVICES, n)
    with broker(workdir) as b, hub_db(workdir, backend, DEVICES) as settings, \
            workers(settings, b, n_workers, *args, root=root):
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


# Run in a child whose PYTHONPATH is one source tree: the µs per order of that tree's
# protocol.encode and protocol.parse (plus the digest, as the hub's classify takes it).
_PROTOCOL_TIMING = """
import random, sys, time
from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from protocol import codec, content_digest, encode, make_envelope, new_order_id, parse
from datetime import UTC, datetime
rng = random.Random(1)
envs = [make_envelope("order.placed", {**make_draft(rng, FALLBACK_DISHES),
        "order_id": new_order_id(), "order_no": f"A{i % 999:03d}",
        "placed_at": datetime.now(UTC)}, site="site1", device="k1") for i in range(N)]
topic = envs[0].topic()
with_digest = getattr(codec, "parse_with_digest", None)
def best(f, items):
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for x in items:
            f(x)
        times.append(time.perf_counter() - t0)
    return min(times) / len(items) * 1e6
raws = [encode(e) for e in envs]
enc = best(encode, envs)
par = best(lambda r: parse(r, topic=topic), raws)
dig = best((lambda r: with_digest(r, topic=topic)) if with_digest else
           (lambda r: content_digest(parse(r, topic=topic))), raws)
print(f"{enc:.1f} {par:.1f} {dig:.1f} {sum(map(len, raws)) / len(raws):.0f}")
"""


def protocol_timing(root: Path, n: int = 2000) -> tuple[float, float, float, float]:
    """(encode, parse, parse + digest) µs per order and mean bytes, for the tree at root."""
    out = subprocess.run(
        [sys.executable, "-c", f"N = {n}\n" + _PROTOCOL_TIMING], cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True,
    ).stdout.split()
    enc, par, dig, size = (float(x) for x in out)
    return enc, par, dig, size


def main() -> None:
    """Run every configuration and print Markdown tables."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--orders", type=int, default=10_000)
    p.add_argument("--baseline-ref", default="643fdb5",
                   help="git commit whose worker is the old path ('' to skip it)")
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    p.add_argument("--per-message", action="store_true",
                   help="also the worker committing each message (--max-batch 1)")
    p.add_argument("--baseline-orders", type=int, default=1_000)
    p.add_argument("--sink", nargs=2, type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.sink:
        run_sink(*args.sink)
        return
    n, nb = args.orders, args.baseline_orders
    counts = [int(c) for c in args.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        trees = [("new", ROOT)]
        if args.baseline_ref:
            old = export_tree(args.baseline_ref, work / "baseline")
            trees.insert(0, (f"old ({args.baseline_ref})", old))
        top = ceiling(work, n)
        rows.append(("do-nothing paho subscriber (ceiling)", "-", "-", n, top))
        for backend in args.backends.split(","):
            for count in counts:
                for name, root in trees:  # old and new back to back, same load
                    rows.append((f"{count} worker{'s' if count > 1 else ''} on $share, batched",
                                 backend, name, n,
                                 through_workers(work, backend, n, count, root=root)))
            if args.per_message:
                for name, root in trees:
                    rows.append(("1 worker, one commit per message", backend, name, nb,
                                 through_workers(work, backend, nb, 1, "--max-batch", "1",
                                                 root=root)))
        timings = [(name, protocol_timing(root)) for name, root in trees]
    print("| path | database | code | orders | orders/s | vs ceiling |")
    print("|---|---|---|---:|---:|---:|")
    for name, db, code, count, rate in rows:
        print(f"| {name} | {db} | {code} | {count:,} | {rate:,.0f} | {rate / top:.2f}x |")
    print()
    print("| protocol, per order | code | encode µs | parse µs | parse + digest µs | bytes |")
    print("|---|---|---:|---:|---:|---:|")
    for name, (enc, par, dig, size) in timings:
        print(f"| kiosk encode, hub parse | {name} | {enc:.1f} | {par:.1f} | {dig:.1f} "
              f"| {size:.0f} |")


if __name__ == "__main__":
    main()
