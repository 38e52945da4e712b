"""Two worker processes on one shared subscription, one of them kill -9'd mid-stream."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from hub.settings import Settings
from tests.ingest.helpers import (
    FakeDevice,
    prepare_hub,
    recorded_orders,
    scalar,
    start_worker,
    stop,
    wait_for,
)

DEVICES = ("k1", "k2", "k3")


def _two_workers_one_killed(settings: Settings, broker: PrivateBroker, tmp_path: Path,
                            per_device: int) -> None:
    engine = prepare_hub(settings, DEVICES)
    logs = tmp_path / "logs"
    w1 = start_worker(settings, broker, "w1", logs)
    w2 = start_worker(settings, broker, "w2", logs)
    devices = {d: FakeDevice(broker, d) for d in DEVICES}
    sent = {d: recorded_orders(tmp_path / f"{d}.db", d, per_device, seed=i)
            for i, d in enumerate(DEVICES)}

    def publish(d: str) -> None:
        for _, topic, body, _ in sent[d]:
            devices[d].publish(topic, body)

    threads = [threading.Thread(target=publish, args=(d,)) for d in DEVICES]
    try:
        for t in threads:
            t.start()
        wait_for(lambda: scalar(engine, "SELECT count(*) FROM orders") > per_device // 2, 30,
                 "the stream to be under way")
        stop(w1, kill=True)  # kill -9 between receive and commit, for real
        time.sleep(0.5)
        w1 = start_worker(settings, broker, "w1", logs)
        for t in threads:
            t.join()
        total = per_device * len(DEVICES)
        wait_for(lambda: scalar(engine, "SELECT count(*) FROM sync_message") >= total, 60,
                 "every order committed")
        for d, orders in sent.items():
            dev = devices[d]
            wait_for(lambda: all(dev.result(m) for m, *_ in orders), 30,  # noqa: B023
                     f"every order of {d} acknowledged")
            results = {dev.result(m)[0][0] for m, *_ in orders}
            assert results <= {"ok", "duplicate"}, results
            n, cents = _device_totals(engine, d)
            assert (n, cents) == (len(orders), sum(t for *_, t in orders))
        assert scalar(engine, "SELECT count(*) FROM orders") == total
        assert scalar(engine, "SELECT count(*) FROM sync_message") == total
        assert scalar(engine, "SELECT count(*) FROM sync_dead_letter") == 0
        # Both workers took a share of the stream (each logs its outcomes when stopped).
        stop(w2)
        stop(w1)
        for w in ("w1", "w2"):
            assert re.search(r"outcomes: .*'ok': [1-9]", (logs / f"ingest-{w}.log").read_text())
    finally:
        for dev in devices.values():
            dev.close()
        stop(w1)
        stop(w2)
        engine.dispose()


def _device_totals(engine: object, device: str) -> tuple[int, int]:
    n = scalar(engine, "SELECT count(*) FROM orders o JOIN device d ON d.id = o.device_id"  # type: ignore[arg-type]
                       " WHERE d.code = :d", d=device)
    cents = scalar(engine, "SELECT coalesce(sum(total_cents), 0) FROM orders o"  # type: ignore[arg-type]
                           " JOIN device d ON d.id = o.device_id WHERE d.code = :d", d=device)
    return int(n), int(cents)


def test_two_workers_kill9_sqlite(sqlite_hub: Settings, broker: PrivateBroker,
                                  tmp_path: Path) -> None:
    _two_workers_one_killed(sqlite_hub, broker, tmp_path, 1000)


@pytest.mark.postgres
def test_two_workers_kill9_postgres(pg_hub: Settings, broker: PrivateBroker,
                                    tmp_path: Path) -> None:
    _two_workers_one_killed(pg_hub, broker, tmp_path, 1000)
