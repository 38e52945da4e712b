"""A device's last-seen is written outside the batch, only forward; set lookups are exact.

Issue 20 took ``device.last_seen_at`` out of the batch transaction (it deadlocked
concurrent workers): each writer notes the newest ``sent_at`` per device and writes it in
a short transaction of its own. These tests pin what that must still guarantee.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from hub.ingest.classify import Inbound
from hub.ingest.directory import Directory
from hub.ingest.writer import BatchWriter
from hub.models import Member
from hub.settings import Settings
from protocol import encode, make_envelope, new_order_id
from tests.ingest.helpers import SITE, prepare_hub, scalar

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    settings: Settings = request.getfixturevalue(
        "sqlite_hub" if request.param == "sqlite" else "pg_hub")
    eng = prepare_hub(settings, ["k1", "k2"])
    request.addfinalizer(eng.dispose)
    return eng


def order(device: str, sent_at: datetime, seed: int = 1) -> Inbound:
    payload: dict[str, Any] = {**make_draft(random.Random(seed), FALLBACK_DISHES),
                               "member_id": None, "order_id": new_order_id(),
                               "order_no": f"A-{seed:03d}", "placed_at": sent_at}
    env = make_envelope("order.placed", payload, site=SITE, device=device, sent_at=sent_at)
    return Inbound(env.topic(), encode(env))


def last_seen(engine: Engine, device: str) -> datetime | None:
    value = scalar(engine, "SELECT last_seen_at FROM device WHERE code = :d", d=device)
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def test_last_seen_is_written_after_the_batch_and_only_forward(engine: Engine) -> None:
    writer = BatchWriter(engine, seen_flush_s=3600)
    later = T0 + timedelta(minutes=5)
    assert [o.result for o in writer.write([order("k1", later, 1)])] == ["ok"]
    assert last_seen(engine, "k1") is None  # not in the batch's transaction
    writer.flush_seen()  # a device this writer has not written yet: due at once
    assert last_seen(engine, "k1") == later
    # An older message (a re-sent backlog) never moves it back.
    assert [o.result for o in writer.write([order("k1", T0, 2)])] == ["ok"]
    writer.flush_seen(force=True)
    assert last_seen(engine, "k1") == later
    # A newer one waits for the next due flush (seen_flush_s), or a forced one on stop.
    newest = later + timedelta(minutes=1)
    writer.write([order("k1", newest, 3)])
    writer.flush_seen()
    assert last_seen(engine, "k1") == later
    writer.flush_seen(force=True)
    assert last_seen(engine, "k1") == newest
    # Another writer (another worker) that saw an older message does not go back either.
    other = BatchWriter(engine)
    other.write([order("k1", T0 + timedelta(seconds=1), 4)])
    other.flush_seen(force=True)
    assert last_seen(engine, "k1") == newest
    assert last_seen(engine, "k2") is None


def test_set_lookups_match_whole_values_only(engine: Engine) -> None:
    number = "m" * 32  # as long as the column takes
    with Session(engine) as s:
        s.add(Member(member_no=number, name="张三"))
        s.commit()
    with engine.connect() as conn:
        assert Directory.members(conn, [number + "x" * 32]) == {}
        found = Directory.members(conn, [number, number + "x"])
        assert set(found) == {number}
        rows = conn.execute(sa.text("SELECT count(*) FROM member")).scalar()
        assert rows == 1
