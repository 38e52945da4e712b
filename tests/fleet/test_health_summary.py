"""Health kept as a rolling summary (not a row per heartbeat), presence from status, alerts
during opening hours only, and 1.0 heartbeats still accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.fleet import alerts, health
from hub.models.fleet_health import DeviceState
from protocol import parse
from tests.hub.conftest import make_settings
from tests.support.fleet import beat, device_id, fleet_hub

# 12:00 UTC; the sites are on UTC with lunch 11:00-13:30.
NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = fleet_hub(make_settings(tmp_path), {"north": ["k1", "k2"]}, lunch=("11:00", "13:30"))
    yield e
    e.dispose()


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_sixty_heartbeats_make_two_bucket_rows_with_min_max_last(engine: Engine) -> None:
    start = NOON - timedelta(minutes=10)
    for i in range(60):  # every 10 s for 10 minutes: two 5-minute buckets
        at = start + timedelta(seconds=10 * i)
        beat(engine, "k1", at, at + timedelta(seconds=1), queue_depth=i % 7, cpu_temp_c=40.0 + i,
             disk_free_mb=5000 - i)
    assert _count(engine, "fleet_heartbeat_bucket") == 2
    assert _count(engine, "fleet_device_state") == 1
    with engine.connect() as conn:
        rows = health.buckets(conn, device_id=device_id(engine, "k1"), since=start)
    assert [r["beats"] for r in rows] == [30, 30]
    first, second = rows
    assert (first["queue_min"], first["queue_max"], first["queue_last"]) == (0, 6, 29 % 7)
    assert second["queue_last"] == 59 % 7 and second["cpu_temp_max"] == 99.0
    assert second["disk_free_min"] == 5000 - 59 and second["skew_max_s"] == 1
    [hour] = health.hourly(rows)
    assert hour["beats"] == 60 and hour["queue_max"] == 6 and hour["queue_last"] == 59 % 7


def test_a_late_older_heartbeat_counts_but_does_not_replace_the_latest(engine: Engine) -> None:
    at = NOON + timedelta(minutes=1)
    beat(engine, "k1", at, at, queue_depth=3, config_version=5)
    beat(engine, "k1", at - timedelta(seconds=20), at + timedelta(seconds=2),
         queue_depth=9, config_version=4)
    with engine.connect() as conn:
        state = conn.execute(sa.select(DeviceState.__table__)).mappings().one()  # type: ignore[attr-defined]
        [bucket] = health.buckets(conn, device_id=device_id(engine, "k1"), since=NOON)
    assert state["config_version"] == 5 and state["queue_depth"] == 3
    assert bucket["beats"] == 2 and bucket["queue_last"] == 3 and bucket["queue_max"] == 9


def test_presence_follows_the_newest_status_only(engine: Engine) -> None:
    k1 = device_id(engine, "k1")
    with engine.begin() as conn:
        assert health.note_status(conn, device_id=k1, state="online", sent_at=NOON)
        # The retained offline will, delivered late, is older than the online: ignored.
        assert not health.note_status(conn, device_id=k1, state="offline",
                                      sent_at=NOON - timedelta(minutes=1))
        assert health.note_status(conn, device_id=k1, state="online",
                                  sent_at=NOON + timedelta(minutes=1))
        row = conn.execute(sa.select(DeviceState.__table__)).mappings().one()  # type: ignore[attr-defined]
    assert row["presence"] == "online"
    assert health.as_utc(row["presence_since"]) == NOON  # unchanged by a repeated online


def test_a_schema_1_0_heartbeat_is_still_accepted(engine: Engine) -> None:
    raw = json.dumps({
        "message_id": "01956c2e-9000-7a00-8000-000000000102", "type": "device.heartbeat",
        "schema_version": "1.0", "site": "north", "device": "k1",
        "sent_at": "2026-12-04T12:00:00Z",
        "payload": {"queue_depth": 1, "disk_free_mb": 10, "hardware": {"printer": "ok"},
                    "uptime_s": 5, "app_version": "0.1.0"}}).encode()
    env = parse(raw, topic="canteen/v1/site/north/device/k1/up/device.heartbeat")
    with engine.begin() as conn:
        health.note_heartbeats(conn, [health.Beat(device_id(engine, "k1"), env.sent_at,
                                                  env.payload)], received_at=NOON)  # type: ignore[arg-type]
        row = conn.execute(sa.select(DeviceState.__table__)).mappings().one()  # type: ignore[attr-defined]
    assert row["queue_depth"] == 1 and row["printer"] is None and row["disk_total_mb"] is None


def _open(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        codes = {device_id(engine, c): c for c in ("k1", "k2")}
        return {(codes[a["device_id"]], a["kind"]) for a in alerts.open_alerts(conn)}


def _evaluate(engine: Engine, now: datetime) -> None:
    with engine.begin() as conn:
        alerts.evaluate(conn, now=now)


def test_offline_alerts_only_in_opening_hours_after_the_threshold(engine: Engine) -> None:
    k1 = device_id(engine, "k1")
    with engine.begin() as conn:
        health.note_status(conn, device_id=k1, state="offline", sent_at=NOON)
    _evaluate(engine, NOON + timedelta(minutes=2))
    assert _open(engine) == set()  # not yet past 5 minutes
    _evaluate(engine, NOON + timedelta(minutes=6))
    assert _open(engine) == {("k1", "offline")}
    with engine.begin() as conn:
        health.note_status(conn, device_id=k1, state="online",
                           sent_at=NOON + timedelta(minutes=7))
    _evaluate(engine, NOON + timedelta(minutes=8))
    assert _open(engine) == set()
    # Off at night: no alert at all.
    night = NOON + timedelta(hours=10)
    with engine.begin() as conn:
        health.note_status(conn, device_id=k1, state="offline", sent_at=night)
    _evaluate(engine, night + timedelta(hours=1))
    assert _open(engine) == set()


def test_paper_out_clock_skew_and_a_growing_outbox_alert_and_clear(engine: Engine) -> None:
    beat(engine, "k1", NOON, NOON, printer="paper_out")
    beat(engine, "k2", NOON - timedelta(minutes=5), NOON, queue_depth=1)  # clock 5 min slow
    _evaluate(engine, NOON)
    assert _open(engine) == {("k1", "paper_out"), ("k2", "clock_skew")}
    for i, depth in enumerate((2, 5, 9)):  # three 5-minute buckets, each deeper
        at = NOON + timedelta(minutes=5 * (i + 1))
        beat(engine, "k2", at, at, queue_depth=depth, oldest_unsent_age_s=60 * (i + 1))
    beat(engine, "k1", NOON + timedelta(minutes=15), NOON + timedelta(minutes=15), printer="ok")
    _evaluate(engine, NOON + timedelta(minutes=16))
    assert _open(engine) == {("k2", "outbox_growing")}


def test_old_buckets_are_pruned(engine: Engine) -> None:
    beat(engine, "k1", NOON - timedelta(days=20), NOON - timedelta(days=20))
    beat(engine, "k1", NOON, NOON)
    with engine.begin() as conn:
        assert health.prune_buckets(conn, now=NOON) == 1
    assert _count(engine, "fleet_heartbeat_bucket") == 1
