"""Hub tracking: duplicate and out-of-order order.state events end in the right state."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

import hub.models  # noqa: F401  (every table, for create_all)
from hub.models.tracking import OrderTrackStation
from hub.tracking import queries
from hub.tracking.service import record
from protocol import new_order_id
from tests.support.kitchen import T0, placed, state


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


def _shift(order_id: str) -> list:
    return [
        placed(order_id),
        state(order_id, "in_preparation", 0.1, "wok"),
        state(order_id, "in_preparation", 0.1, "noodles", device="kds-2"),
        state(order_id, "ready", 4, "wok"),
        state(order_id, "ready", 6, "noodles", device="kds-2"),
        state(order_id, "collected", 8, device="pickup-1"),
    ]


def test_full_timeline_and_station_times(engine: sa.Engine) -> None:
    oid = new_order_id()
    with engine.begin() as conn:
        assert record(conn, _shift(oid)).new == 6
    with Session(engine) as s:
        tl = queries.timeline(s, oid)
        assert tl is not None and tl.state == "collected"
        assert [e.state for e in tl.events] == [
            "placed", "in_preparation", "in_preparation", "ready", "ready", "collected"]
        assert tl.ready_at == T0 + timedelta(minutes=6)
        times = {t.station: t for t in queries.station_times(s, "site-1", T0)}
        assert times["wok"].wait_median_s == 240.0
        assert times["noodles"].prep_median_s == pytest.approx(354.0)
        assert queries.open_orders(s, "site-1") == []


@pytest.mark.parametrize("seed", range(6))
def test_any_arrival_order_with_duplicates_gives_the_same_state(
    engine: sa.Engine, seed: int
) -> None:
    oid = new_order_id()
    events = _shift(oid)[:-1]  # up to both stations ready
    shuffled = events + random.Random(seed).sample(events, 3)  # re-sends
    random.Random(seed).shuffle(shuffled)
    for ev in shuffled:  # one per transaction, as separate ingest batches would
        with engine.begin() as conn:
            record(conn, [ev])
    with Session(engine) as s:
        tl = queries.timeline(s, oid)
        assert tl is not None and tl.state == "ready" and len(tl.events) == 5
        assert tl.ready_at == T0 + timedelta(minutes=6)


def test_late_start_does_not_undo_a_bump_but_a_recall_does(engine: sa.Engine) -> None:
    oid = new_order_id()
    one = ("wok",)
    with engine.begin() as conn:
        record(conn, [state(oid, "ready", 5, "wok", stations=one)])
        record(conn, [state(oid, "in_preparation", 1, "wok", stations=one)])  # late arrival
        # A display that was off sees the ticket first after the bump: a late-stamped start.
        record(conn, [state(oid, "in_preparation", 6, "wok", stations=one, device="kds-2")])
    with Session(engine) as s:
        assert queries.open_orders(s, "site-1")[0].state == "ready"
    with engine.begin() as conn:
        record(conn, [state(oid, "in_preparation", 7, "wok", stations=one, recall=True)])
    with Session(engine) as s:
        assert queries.open_orders(s, "site-1")[0].state == "in_preparation"
        tl = queries.timeline(s, oid)
        assert tl is not None and [e.recall for e in tl.events] == [False, False, False, True]
        st = s.get(OrderTrackStation, (oid, "wok"))
        assert st is not None and st.started_at == T0 + timedelta(minutes=1)


def test_cancel_and_collect_are_final_whatever_comes_after(engine: sa.Engine) -> None:
    a, b = new_order_id(), new_order_id()
    with engine.begin() as conn:
        record(conn, [state(a, "cancelled", 1), state(a, "ready", 2, "wok"),
                      state(a, "ready", 2, "noodles")])
        record(conn, [state(b, "collected", 9), state(b, "in_preparation", 10, "wok")])
    with Session(engine) as s:
        assert queries.timeline(s, a).state == "cancelled"  # type: ignore[union-attr]
        assert queries.timeline(s, b).state == "collected"  # type: ignore[union-attr]


def test_every_permutation_of_a_small_stream(engine: sa.Engine) -> None:
    for perm in itertools.permutations(range(4)):
        oid = new_order_id()
        evs = [state(oid, "in_preparation", 0, "wok"), state(oid, "ready", 3, "wok"),
               state(oid, "in_preparation", 0, "noodles"), state(oid, "ready", 2, "noodles")]
        with engine.begin() as conn:
            for i in perm:
                record(conn, [evs[i]])
        with Session(engine) as s:
            assert queries.timeline(s, oid).state == "ready"  # type: ignore[union-attr]
