"""The set-based refold of a batch gives exactly what one event per transaction gives."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import hub.models  # noqa: F401  (every table, for create_all)
from hub.models.tracking import OrderTrack, OrderTrackStation
from hub.tracking.service import record
from protocol import new_order_id
from tests.conftest import PG_URL
from tests.support.kitchen import placed, state


def _engine(path: Path) -> sa.Engine:
    eng = sa.create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(eng)
    return eng


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    one, batch = _engine(tmp_path / "one.db"), _engine(tmp_path / "batch.db")
    yield one, batch
    one.dispose()
    batch.dispose()


def _events(order_id: str) -> list:
    return [
        placed(order_id),
        state(order_id, "in_preparation", 0.1, "wok"),
        state(order_id, "in_preparation", 0.1, "noodles", device="kds-2"),
        state(order_id, "ready", 4, "wok"),
        state(order_id, "in_preparation", 5, "wok", recall=True),
        state(order_id, "ready", 6, "noodles", device="kds-2"),
        state(order_id, "ready", 7, "wok"),
        state(order_id, "collected", 8, device="pickup-1"),
    ]


def _state(engine: sa.Engine) -> tuple[list, list]:
    track = OrderTrack.__table__  # type: ignore[attr-defined]
    station = OrderTrackStation.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        tracks = conn.execute(
            sa.select(*[c for c in track.c if c.name != "updated_at"]).order_by(track.c.order_id)
        ).all()
        stations = conn.execute(
            sa.select(station).order_by(station.c.order_id, station.c.station)
        ).all()
    return list(tracks), list(stations)


@pytest.mark.parametrize("seed", range(5))
def test_batches_fold_like_single_events(
    engines: tuple[sa.Engine, sa.Engine], seed: int
) -> None:
    _compare(*engines, seed)


@pytest.mark.postgres
def test_batches_fold_like_single_events_postgres(tmp_path: Path, pg_schema: str) -> None:
    one = _engine(tmp_path / "one.db")
    batch = sa.create_engine(PG_URL,
                             connect_args={"options": f"-csearch_path={pg_schema}"})
    SQLModel.metadata.create_all(batch)
    try:
        for seed in range(3):
            _compare(one, batch, seed)
    finally:
        one.dispose()
        batch.dispose()


def _compare(one: sa.Engine, batch: sa.Engine, seed: int) -> None:
    rng = random.Random(seed)
    stream = []
    for _ in range(12):
        evs = _events(new_order_id())[: rng.randint(1, 8)]
        stream += evs + rng.sample(evs, min(2, len(evs)))  # with re-sends
    rng.shuffle(stream)
    for ev in stream:
        with one.begin() as conn:
            record(conn, [ev])
    done = 0
    while done < len(stream):  # batches of random sizes, some orders spanning batches
        size = rng.randint(1, 25)
        with batch.begin() as conn:
            record(conn, stream[done : done + size])
        done += size
    assert _state(one) == _state(batch)
    assert len(_state(batch)[0]) >= 12
