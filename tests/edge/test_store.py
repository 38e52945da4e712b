"""The device store: order + outbox row in one transaction, order numbers, refusals."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge_agent.errors import InvalidOrderError, StoreError
from edge_agent.outbox import Outbox
from edge_agent.store import DeviceStore
from protocol.codec import parse
from protocol.payloads.order import OrderPlaced
from tests.edge.conftest import DEVICE, SITE, draft


def make_store(path: Path, clock: datetime | None = None) -> DeviceStore:
    fixed = clock
    return DeviceStore(
        path,
        site_id=SITE,
        device_id=DEVICE,
        timezone="Asia/Shanghai",
        clock=(lambda: fixed) if fixed else (lambda: datetime.now(UTC)),
    )


def counts(store: DeviceStore) -> tuple[int, int, int, int]:
    c = store.conn
    a, b, o, n = (
        int(c.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        for t in ("orders", "order_lines", "outbox", "order_counters")
    )
    return a, b, o, n


def test_order_and_outbox_row_written_together(tmp_path: Path) -> None:
    with make_store(tmp_path / "d.db") as store:
        d = draft(3)
        rec = store.record_order(d)
        assert rec.order_no == "A001"
        assert counts(store)[:3] == (1, len(d["lines"]), 1)
        topic, body, attempts = store.conn.execute(
            "SELECT topic, body, attempts FROM outbox WHERE message_id = ?", (rec.message_id,)
        ).fetchone()
        assert attempts == 0
        # What the hub will receive is exactly the recorded order, on the right topic.
        env = parse(bytes(body), topic=topic)
        assert env.message_id == rec.message_id and env.device == DEVICE
        order = env.payload_as(OrderPlaced)
        assert order.order_id == rec.order_id and order.total_cents == rec.total_cents
        assert store.order_totals() == (1, d["total_cents"])


def test_invalid_order_writes_nothing_and_keeps_the_number(tmp_path: Path) -> None:
    with make_store(tmp_path / "d.db") as store:
        bad = draft(1)
        bad["total_cents"] += 1  # totals no longer add up
        with pytest.raises(InvalidOrderError, match="total_cents"):
            store.record_order(bad)
        with pytest.raises(InvalidOrderError, match="order_no"):
            store.record_order({**draft(1), "order_no": "Z999"})
        with pytest.raises(InvalidOrderError, match="mapping"):
            store.record_order(["not", "a", "draft"])  # type: ignore[arg-type]
        assert counts(store) == (0, 0, 0, 0)
        assert store.record_order(draft(2)).order_no == "A001"


def test_failure_in_the_middle_rolls_everything_back(tmp_path: Path) -> None:
    with make_store(tmp_path / "d.db") as store:
        store.record_order(draft(1))
        # A real failure at the last step of the transaction: the outbox insert.
        store.conn.execute(
            "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox"
            " BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
        with pytest.raises(StoreError, match="disk says no"):
            store.record_order(draft(2))
        assert counts(store) == (1, len(draft(1)["lines"]), 1, 1)
        store.conn.execute("DROP TRIGGER fail_outbox")
        # The failed order did not use up a number.
        assert store.record_order(draft(2)).order_no == "A002"


def test_order_numbers_reset_on_the_local_business_day(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    # 15:59 UTC is 23:59 in Shanghai; 16:01 UTC is already the next day there.
    late = datetime(2025, 3, 1, 15, 59, tzinfo=UTC)
    with make_store(path, late) as store:
        assert [store.record_order(draft(i)).order_no for i in range(3)] == ["A001", "A002", "A003"]
    with make_store(path, late) as store:  # survives a restart
        assert store.record_order(draft(9)).order_no == "A004"
    with make_store(path, datetime(2025, 3, 1, 16, 1, tzinfo=UTC)) as store:
        rec = store.record_order(draft(10))
        assert (rec.order_no, rec.business_day) == ("A001", "2025-03-02")


def test_retried_order_id_is_recorded_once(tmp_path: Path) -> None:
    with make_store(tmp_path / "d.db") as store:
        d = {**draft(4), "order_id": "0194f3a0-0000-7000-8000-000000000001"}
        first = store.record_order(d)
        again = store.record_order(d)
        assert again == first
        assert counts(store)[2] == 1


def test_feedback_is_queued_and_bad_feedback_refused(tmp_path: Path) -> None:
    with make_store(tmp_path / "d.db") as store:
        rec = store.record_order(draft(1))
        mid = store.record_feedback({"order_id": rec.order_id, "rating": 5, "tags": []})
        kinds = [r[0] for r in store.conn.execute("SELECT kind FROM outbox ORDER BY seq")]
        assert kinds == ["order.placed", "feedback.given"]
        assert store.conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 1
        with pytest.raises(InvalidOrderError, match="rating"):
            store.record_feedback({"order_id": rec.order_id, "rating": 9})
        assert store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 2
        assert mid


def test_store_refuses_bad_synchronous_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="synchronous"):
        DeviceStore(tmp_path / "d.db", site_id=SITE, device_id=DEVICE, synchronous="OFF")  # type: ignore[arg-type]
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        DeviceStore(garbage, site_id=SITE, device_id=DEVICE)


def test_wal_mode_and_full_sync(tmp_path: Path) -> None:
    with make_store(tmp_path / "d.db") as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        other = sqlite3.connect(tmp_path / "d.db")
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.close()


@pytest.mark.parametrize("hours", [6, -30])
def test_events_are_due_at_once_whatever_the_business_clock_says(
    tmp_path: Path, hours: int
) -> None:
    # The demo's diners move the kiosk clock into the next meal period at night; tests freeze
    # it in the past. The outbox runs on the real clock: the agent sends these rows now.
    shifted = datetime.now(UTC) + timedelta(hours=hours)
    with make_store(tmp_path / "d.db", clock=shifted) as store:
        rec = store.record_order(draft(1))
        store.record_feedback({"order_id": rec.order_id, "rating": 5, "tags": []})
        due = Outbox(store.conn).due(10)
        assert [r.kind for r in due] == ["order.placed", "feedback.given"]
        placed = parse(due[0].body)
        assert placed.sent_at == shifted  # the event keeps its business time
