"""One bad message never stalls ingestion: a data error is isolated, dead-lettered and
answered "rejected"; the valid messages of its batch are stored; an outage is retried.

Issue 11 item 1: a heartbeat valid on the wire (queue_depth 3,000,000,000) failed on an
INTEGER column, the worker took "integer out of range" for an outage and retried the
batch forever. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy.engine import Engine

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from edge_agent.outbox import Outbox, enqueue, write_txn
from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from edge_agent.store import DeviceStore
from hub.ingest.classify import Inbound
from hub.ingest.db_errors import Fault, describe, fault_of
from hub.ingest.writer import BatchWriter, Outcome
from hub.settings import Settings
from protocol import encode, make_envelope, new_message_id, new_order_id, parse, uplink_filter
from tests.ingest.helpers import SITE, FakeDevice, prepare_hub, scalar, start_worker, stop
from tests.support.waiting import wait_for

PLACED_AT = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)
# Valid on the wire, but 9999-12-31 23:00 UTC is past year 9999 in Shanghai (the site's
# time zone): the order's business day cannot be computed, an "out of range" row.
END_OF_TIME = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    settings: Settings = request.getfixturevalue(
        "sqlite_hub" if request.param == "sqlite" else "pg_hub")
    eng = prepare_hub(settings, ["k1", "k2"])
    request.addfinalizer(eng.dispose)
    return eng


def order(seed: int, device: str = "k1", **changes: Any) -> Inbound:
    draft = make_draft(random.Random(seed), FALLBACK_DISHES)
    payload = {**draft, "member_id": None, "order_id": new_order_id(),
               "order_no": f"A-{seed:03d}", "placed_at": PLACED_AT, **changes}
    env = make_envelope("order.placed", payload, site=SITE, device=device)
    return Inbound(env.topic(), encode(env))


def heartbeat(device: str = "k1", **changes: Any) -> Inbound:
    payload = {"queue_depth": 0, "disk_free_mb": 100, "uptime_s": 5,
               "app_version": "test", **changes}
    env = make_envelope("device.heartbeat", payload, site=SITE, device=device)
    return Inbound(env.topic(), encode(env))


def mid(m: Inbound) -> str:
    return parse(m.raw).message_id


def results(outcomes: list[Outcome]) -> list[str]:
    return [o.result for o in outcomes]


def stored_orders(engine: Engine) -> int:
    return int(scalar(engine, "SELECT count(*) FROM orders"))


def dead_letters(engine: Engine) -> list[tuple[str, str | None, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT reason, message_id, detail FROM sync_dead_letter ORDER BY id"))]


def test_a_heartbeat_at_the_wire_limit_is_stored_with_the_orders(engine: Engine) -> None:
    top = 2**53 - 1  # protocol's largest Count
    beat = heartbeat(queue_depth=3_000_000_000, oldest_unsent_age_s=top, catalog_version=top)
    batch = [order(1), beat, order(2)]
    assert results(BatchWriter(engine).write(batch)) == ["ok", "none", "ok"]
    assert stored_orders(engine) == 2
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT queue_depth, oldest_unsent_age_s, catalog_version,"
                                   " status FROM sync_device_health")).one()
    assert tuple(row) == (3_000_000_000, top, top, "backlog")
    assert dead_letters(engine) == []


def test_a_poison_order_is_dead_lettered_and_its_batch_stored(engine: Engine) -> None:
    poison = order(9, order_no="P-1", placed_at=END_OF_TIME)
    batch = [order(1), order(2), poison, order(3, device="k2"), heartbeat()]
    writer = BatchWriter(engine)
    outcomes = writer.write(batch)
    assert results(outcomes) == ["ok", "ok", "rejected", "ok", "none"]
    bad = outcomes[2]
    assert (bad.message_id, bad.device) == (mid(poison), "k1")
    assert bad.reason is not None and bad.reason.startswith("data_error: OverflowError")
    assert stored_orders(engine) == 3
    assert scalar(engine, "SELECT count(*) FROM sync_device_health") == 1
    [(reason, message_id, detail)] = dead_letters(engine)
    assert (reason, message_id) == ("data_error", mid(poison))
    assert "out of range" in detail
    assert writer.counts["data_error"] == 1 and writer.counts["ok"] == 3
    # Sent again, it is refused again the same way; the rest come back as duplicates.
    again = writer.write([poison, batch[0]])
    assert results(again) == ["rejected", "duplicate"]


def _refuse_in_database(engine: Engine, order_no: str, sqlstate: str) -> None:
    """A trigger that fails the insert of one order: a database error only this row has."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            assert sqlstate.startswith("23")  # RAISE() in SQLite is a constraint failure
            conn.execute(sa.text(
                f"CREATE TRIGGER poison BEFORE INSERT ON orders WHEN NEW.order_no = '{order_no}'"
                " BEGIN SELECT RAISE(ABORT, 'poison row refused'); END"))
            return
        conn.execute(sa.text(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF NEW.order_no = '{order_no}' THEN"
            f" RAISE EXCEPTION 'poison row refused' USING ERRCODE = '{sqlstate}'; END IF;"
            " RETURN NEW; END $$"))
        conn.execute(sa.text("CREATE TRIGGER poison BEFORE INSERT ON orders"
                             " FOR EACH ROW EXECUTE FUNCTION poison()"))


@pytest.mark.parametrize("sqlstate", ["22003", "23514"])  # out of range; check violation
def test_a_row_the_database_refuses_is_isolated(engine: Engine, sqlstate: str) -> None:
    if engine.dialect.name == "sqlite" and sqlstate != "23514":
        pytest.skip("SQLite's RAISE() is always a constraint failure")
    # On PostgreSQL orders go in by COPY, whose errors are psycopg's own, not SQLAlchemy's.
    _refuse_in_database(engine, "P-2", sqlstate)
    poison = order(9, order_no="P-2")
    outcomes = BatchWriter(engine).write([order(1), poison, order(2)])
    assert results(outcomes) == ["ok", "rejected", "ok"]
    assert "poison row refused" in (outcomes[1].reason or "")
    assert stored_orders(engine) == 2
    [(reason, message_id, detail)] = dead_letters(engine)
    assert (reason, message_id) == ("data_error", mid(poison))
    assert "poison row refused" in detail


def test_an_outage_is_raised_for_a_retry_and_nothing_is_dead_lettered(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("an outage is raised by a PostgreSQL trigger; SQLite's: test_fault_of")
    _refuse_in_database(engine, "P-3", "57P01")  # admin_shutdown: the server is going down
    batch = [order(1), order(9, order_no="P-3"), order(2)]
    with pytest.raises(psycopg.OperationalError):
        BatchWriter(engine).write(batch)
    assert stored_orders(engine) == 0
    assert dead_letters(engine) == []


def _sa(orig: Exception, kind: type[sa.exc.DBAPIError] = sa.exc.DBAPIError) -> Exception:
    return kind("INSERT ...", {}, orig)


@pytest.mark.parametrize(
    ("err", "fault"),
    [
        (_sa(psycopg.errors.NumericValueOutOfRange("integer out of range"), sa.exc.DataError),
         Fault.DATA),
        (psycopg.errors.StringDataRightTruncation("value too long"), Fault.DATA),
        (_sa(psycopg.errors.UniqueViolation("duplicate key"), sa.exc.IntegrityError),
         Fault.INTEGRITY),
        (psycopg.errors.CheckViolation("check"), Fault.INTEGRITY),
        (_sa(psycopg.errors.AdminShutdown("terminating"), sa.exc.OperationalError),
         Fault.OUTAGE),
        (psycopg.errors.DeadlockDetected("deadlock"), Fault.OUTAGE),  # retried, not refused
        (psycopg.errors.ReadOnlySqlTransaction("read only"), Fault.OUTAGE),
        (psycopg.OperationalError("connection refused"), Fault.OUTAGE),
        (_sa(sqlite3.IntegrityError("CHECK constraint failed"), sa.exc.IntegrityError),
         Fault.INTEGRITY),
        (_sa(sqlite3.DataError("string or blob too big"), sa.exc.DataError), Fault.DATA),
        (_sa(sqlite3.OperationalError("database is locked"), sa.exc.OperationalError),
         Fault.OUTAGE),
        (_sa(sqlite3.OperationalError("disk I/O error"), sa.exc.OperationalError),
         Fault.OUTAGE),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), Fault.DATA),
        (OverflowError("date value out of range"), Fault.DATA),
        (KeyError("a bug"), Fault.OUTAGE),  # not known to be the message's fault: retried
    ],
)
def test_fault_of(err: Exception, fault: Fault) -> None:
    assert fault_of(err) is fault


def test_describe_keeps_the_database_message_storable() -> None:
    err = _sa(psycopg.errors.NumericValueOutOfRange("integer out of range\nDETAIL: x\x00y"),
              sa.exc.DataError)
    assert describe(err) == "integer out of range DETAIL: x?y"
    assert describe(OverflowError("date value out of range")) == (
        "OverflowError: date value out of range")


# ---- through a real broker and worker process --------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite_hub", "pg_hub"])
def test_worker_isolates_poison_and_keeps_ingesting(
    backend: str, request: pytest.FixtureRequest, broker: PrivateBroker, tmp_path: Path
) -> None:
    settings: Settings = request.getfixturevalue(backend)
    engine = prepare_hub(settings, ["k1"])
    worker = start_worker(settings, broker, "w1", tmp_path / "logs")
    device = FakeDevice(broker, "k1")
    try:
        first, after = [order(n) for n in range(1, 4)], [order(n) for n in range(4, 7)]
        beat = heartbeat(queue_depth=3_000_000_000)
        poison = order(9, order_no="P-1", placed_at=END_OF_TIME)
        doc = json.loads(first[0].raw)
        future = {**doc, "message_id": new_message_id(), "schema_version": "2.0"}
        newer = Inbound(first[0].topic, json.dumps(future).encode())
        for m in [*first, beat, poison, newer, *after]:
            device.publish(m.topic, m.raw)
        valid = [mid(m) for m in first + after]
        wait_for(lambda: all(device.result(m) for m in [*valid, mid(poison), future["message_id"]]),
                 30, "every readable message answered")
        assert not device.errors
        assert all(device.result(m) == [("ok", None)] for m in valid)
        [(result, reason)] = device.result(mid(poison))
        assert result == "rejected" and (reason or "").startswith("data_error")
        [(result, reason)] = device.result(future["message_id"])
        assert result == "rejected" and (reason or "").startswith("unsupported_major")
        wait_for(lambda: scalar(engine, "SELECT queue_depth FROM sync_device_health")
                 == 3_000_000_000, 30, "the heartbeat stored")
        assert stored_orders(engine) == 6
        assert sorted(r[:2] for r in dead_letters(engine)) == sorted(
            [("data_error", mid(poison)), ("unsupported_major", future["message_id"])])
        # Still ingesting afterwards.
        last = order(10)
        device.publish(last.topic, last.raw)
        wait_for(lambda: device.result(mid(last)) == [("ok", None)], 30, "a later order acked")
        assert worker.poll() is None
    finally:
        device.close()
        stop(worker)
        engine.dispose()


class UplinkCounter:
    """Counts every uplink the broker carries, by its bytes: how often a device sent each."""

    def __init__(self, broker: PrivateBroker) -> None:
        self.sent: Counter[bytes] = Counter()
        self.lock = threading.Lock()
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="t-uplink-counter",
                                  protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(uplink_filter(SITE), qos=1)
        self.client.loop_start()
        wait_for(subscribed.is_set, 10, "the uplink counter's SUBACK")

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.sent[bytes(msg.payload)] += 1

    def times(self, raw: bytes) -> int:
        with self.lock:
            return self.sent[raw]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_device_parks_what_the_hub_rejects_and_sends_it_once(
    sqlite_hub: Settings, broker: PrivateBroker, tmp_path: Path
) -> None:
    engine = prepare_hub(sqlite_hub, ["k1"])
    worker = start_worker(sqlite_hub, broker, "w1", tmp_path / "logs")
    counter = UplinkCounter(broker)
    cfg = AgentConfig.model_validate({
        "site_id": SITE, "device_id": "k1", "store_path": str(tmp_path / "k1.db"),
        "heartbeat_interval_s": 5,
        "broker": {"host": broker.host, "port": broker.port, "keepalive_s": 5,
                   "reconnect_min_s": 0.1, "reconnect_max_s": 1.0},
        # Long enough that nothing is re-sent for want of an ack while the test runs: a
        # row still in the outbox after the restart below is sent again at once.
        "outbox": {"window": 50, "ack_timeout_s": 60.0, "max_retry_interval_s": 120.0},
    })
    store = DeviceStore(cfg.store_path, site_id=SITE, device_id="k1")
    agent = Agent(cfg)
    try:
        valid = [store.record_order(make_draft(random.Random(n), FALLBACK_DISHES)).message_id
                 for n in range(3)]
        # Two messages already queued that the hub refuses: a newer major version (refused
        # by protocol before the envelope is read) and an order whose row cannot be stored.
        poison = order(9, order_no="P-1", placed_at=END_OF_TIME)
        doc = json.loads(poison.raw)
        future = {**doc, "message_id": new_message_id(), "schema_version": "2.0"}
        refused = {mid(poison): poison.raw, future["message_id"]: json.dumps(future).encode()}
        with write_txn(store.conn):
            for message_id, body in refused.items():
                enqueue(store.conn, message_id=message_id, kind="order.placed",
                        topic=poison.topic, body=body)
        valid += [store.record_order(make_draft(random.Random(n), FALLBACK_DISHES)).message_id
                  for n in range(3, 5)]
        agent.start()

        def parked() -> list[tuple[str, str, str]]:
            return [tuple(r) for r in store.conn.execute(
                "SELECT message_id, result, reason FROM dead_letter ORDER BY message_id")]

        def queued() -> int:
            return int(store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0])

        wait_for(lambda: queued() == 0 and len(parked()) == 2, 30,
                 lambda: f"outbox empty and two parked (queued {queued()}, parked {parked()})")
        assert [(m, r) for m, r, _ in parked()] == sorted((m, "rejected") for m in refused)
        reasons = {m: why for m, _, why in parked()}
        assert reasons[mid(poison)].startswith("data_error")
        assert reasons[future["message_id"]].startswith("unsupported_major")
        assert scalar(engine, "SELECT count(*) FROM orders") == len(valid)
        assert Outbox(store.conn).stats().dead_letters == 2  # reported in heartbeats

        # A restart makes every outbox row due at once: a parked message is not among them.
        agent.stop()
        agent = Agent(cfg)
        later = store.record_order(make_draft(random.Random(7), FALLBACK_DISHES)).message_id
        agent.start()
        wait_for(lambda: queued() == 0, 30, "the order queued after the restart acked")
        assert scalar(engine, "SELECT count(*) FROM sync_message WHERE message_id = :m",
                      m=later) == 1
        for body in refused.values():
            assert counter.times(body) == 1
        assert len(parked()) == 2
    finally:
        agent.stop()
        store.close()
        counter.close()
        stop(worker)
        engine.dispose()
