"""A normal stream through a real worker process: every order stored once, every one acked."""

from __future__ import annotations

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


def _stream_once(settings: Settings, broker: PrivateBroker, tmp_path: Path) -> None:
    engine = prepare_hub(settings, ["k1", "k2"])
    worker = start_worker(settings, broker, "w1", tmp_path / "logs")
    devices = {d: FakeDevice(broker, d) for d in ("k1", "k2")}
    try:
        sent = {d: recorded_orders(tmp_path / f"{d}.db", d, 300, seed=i)
                for i, d in enumerate(devices)}
        for d, orders in sent.items():
            for _, topic, body, _ in orders:
                devices[d].publish(topic, body)
        for d, orders in sent.items():
            dev = devices[d]
            wait_for(lambda: all(dev.result(m) for m, *_ in orders), 30,  # noqa: B023
                     f"acks of {d}")
            assert {devices[d].result(m)[0][0] for m, *_ in orders} == {"ok"}
        # A re-send of everything: acked as duplicates, nothing stored twice.
        for _, topic, body, _ in sent["k1"]:
            devices["k1"].publish(topic, body)
        wait_for(lambda: all(len(devices["k1"].result(m)) == 2 for m, *_ in sent["k1"]), 30,
                 "second acks")
        assert {devices["k1"].result(m)[1][0] for m, *_ in sent["k1"]} == {"duplicate"}
        for d, orders in sent.items():
            n = scalar(engine, "SELECT count(*) FROM orders o JOIN device d ON d.id = o.device_id"
                               " WHERE d.code = :d", d=d)
            cents = scalar(engine, "SELECT sum(total_cents) FROM orders o JOIN device d"
                                   " ON d.id = o.device_id WHERE d.code = :d", d=d)
            assert (n, cents) == (len(orders), sum(t for *_, t in orders))
        assert scalar(engine, "SELECT count(*) FROM sync_message") == 600
        assert scalar(engine, "SELECT count(*) FROM sync_dead_letter") == 0
        lines_ok = scalar(engine, "SELECT count(*) FROM orders o WHERE subtotal_cents ="
                                  " (SELECT sum(line_total_cents) FROM order_line l"
                                  "  WHERE l.order_id = o.id)")
        assert lines_ok == 600
        paid_ok = scalar(engine, "SELECT count(*) FROM orders o WHERE total_cents ="
                                 " (SELECT sum(amount_cents) FROM payment p"
                                 "  WHERE p.order_id = o.id)")
        assert paid_ok == 600
        assert scalar(engine, "SELECT count(*) FROM device WHERE last_seen_at IS NULL") == 0
    finally:
        for dev in devices.values():
            dev.close()
        stop(worker)
        engine.dispose()
    assert worker.returncode == 0


def test_stream_ingested_once_sqlite(sqlite_hub: Settings, broker: PrivateBroker,
                                     tmp_path: Path) -> None:
    _stream_once(sqlite_hub, broker, tmp_path)


@pytest.mark.postgres
def test_stream_ingested_once_postgres(pg_hub: Settings, broker: PrivateBroker,
                                       tmp_path: Path) -> None:
    _stream_once(pg_hub, broker, tmp_path)
