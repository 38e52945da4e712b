"""One bad message never stalls ingestion: a data error is isolated, dead-lettered and
answered "rejected"; the valid messages of its batch are stored; an outage is retried.

Issue 11 item 1: a heartbeat valid on the wire (queue_depth 3,000,000,000) failed on an
INTEGER column, the worker took "integer out of range" for an outage and retried the
batch forever. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from hub.ingest.classify import Inbound
from hub.ingest.db_errors import Fault, describe, fault_of
from hub.ingest.writer import BatchWriter, Outcome
from hub.settings import Settings
from protocol import encode, make_envelope, new_order_id, parse
from tests.ingest.helpers import SITE, prepare_hub, scalar

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
