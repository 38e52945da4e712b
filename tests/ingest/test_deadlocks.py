"""Eight workers on one PostgreSQL never deadlock on the rows every batch touches (issue 20).

Each batch of a worker holds the rows it updates until its commit. Rows that many
batches share -- a device's ``last_seen_at``, a busy member's account, a heartbeat's
health row, an order's kitchen track -- deadlock as soon as two transactions lock two
of them in opposite orders. Here 40 devices' orders, 80% of them by 500 members
registered at the hub (so their payments post and lock the member's account), are
published interleaved by four publisher connections to eight workers on ``$share``.
Every order must be stored exactly once, every member order posted once, and no worker
may log PostgreSQL's ``deadlock detected`` (the deadlock counter of the database is
reported beside it: it is shared with whatever else runs on the server).
"""

from __future__ import annotations

import itertools
import random
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlmodel import Session

from demo.broker import PrivateBroker
from hub.models import Member
from hub.settings import Settings
from tests.conftest import PG_DSN
from tests.ingest.helpers import prepare_hub, recorded_orders, scalar, start_worker, stop
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow,
              pytest.mark.timeout(900)]

WORKERS = 8
DEVICES = [f"k{n:02d}" for n in range(40)]
PER_DEVICE = 100  # 4,000 orders in all
PUBLISHERS = 4
MEMBERS = 500  # edge_agent.simkiosk draws member numbers m00001..m00500


def _deadlocks() -> int:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def _publish(broker: PrivateBroker, name: str, messages: list[tuple[str, bytes]]) -> None:
    """One connection publishing as many devices, at QoS 1, as fast as the broker takes it."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{name}",
                         protocol=MQTTProtocolVersion.MQTTv5)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        infos = [client.publish(topic, body, qos=1) for topic, body in messages]
        for info in infos:
            info.wait_for_publish(60)
    finally:
        client.disconnect()
        client.loop_stop()


def test_eight_workers_on_one_postgres_never_deadlock(
    pg_hub: Settings, broker: PrivateBroker, tmp_path: Path
) -> None:
    engine = prepare_hub(pg_hub, DEVICES)
    with Session(engine) as s:
        s.add_all(Member(member_no=f"m{n:05d}", name=f"会员{n}") for n in range(1, MEMBERS + 1))
        s.commit()
    per_device = {
        d: recorded_orders(tmp_path / f"{d}.db", d, PER_DEVICE, seed=i)
        for i, d in enumerate(DEVICES)
    }
    sent = sum(total for orders in per_device.values() for *_, total in orders)
    member_orders = sum(b'"member_id":"m' in body for o in per_device.values()
                        for _, _, body, _ in o)
    # Interleave the devices: consecutive messages come from different devices in a
    # shuffled order, so every batch touches many devices, each in its own order.
    rng = random.Random(20)
    streams = [iter(orders) for orders in per_device.values()]
    interleaved: list[tuple[str, bytes]] = []
    while streams:
        rng.shuffle(streams)
        for stream in list(streams):
            item = next(stream, None)
            if item is None:
                streams.remove(stream)
            else:
                interleaved.append((item[1], item[2]))
    shares: list[list[tuple[str, bytes]]] = [[] for _ in range(PUBLISHERS)]
    for i, message in enumerate(interleaved):
        shares[i % PUBLISHERS].append(message)

    logs = tmp_path / "logs"

    def deadlocked() -> list[str]:
        return [line for n in range(WORKERS) for line in
                (logs / f"ingest-w{n}.log").read_text(errors="replace").splitlines()
                if "deadlock detected" in line]

    workers = [start_worker(pg_hub, broker, f"w{n}", logs) for n in range(WORKERS)]
    before = _deadlocks()
    try:
        threads = [threading.Thread(target=_publish, args=(broker, str(n), share))
                   for n, share in enumerate(shares)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = len(interleaved)
        # A deadlock already fails the test: stop waiting at the first one.
        wait_for(lambda: scalar(engine, "SELECT count(*) FROM orders") == total
                 or any(w.poll() is not None for w in workers) or deadlocked(), 600,
                 lambda: f"{total} orders at the hub, "
                         f"{scalar(engine, 'SELECT count(*) FROM orders')} now")
        assert all(w.poll() is None for w in workers), "a worker died"
        found = deadlocked()
    finally:
        for w in workers:
            stop(w)
    after = _deadlocks()
    assert found == [], (
        f"{len(found)} batches deadlocked (database counter +{after - before}): "
        + "\n".join(itertools.islice(found, 3)))
    assert scalar(engine, "SELECT count(*) FROM orders") == len(interleaved)
    assert scalar(engine, "SELECT sum(total_cents) FROM orders") == sent
    assert scalar(engine, "SELECT count(*) FROM sync_message") == len(interleaved)
    assert scalar(engine, "SELECT count(*) FROM order_posting") == member_orders
    assert scalar(engine, "SELECT count(DISTINCT device_id) FROM orders") == len(DEVICES)
    assert scalar(engine, "SELECT count(*) FROM device WHERE last_seen_at IS NULL") == 0
    engine.dispose()
