"""Device health: presence from the retained status / last will, heartbeats as a rolling summary.

A heartbeat updates one row per device (its latest figures, ``fleet_device_state``) and one
row per device per 5-minute bucket (count, min / max / last, ``fleet_heartbeat_bucket``),
never a row per heartbeat: 1,000 devices beating every 10 s would otherwise add 8.6 million
rows a day (bench/fleet_heartbeats.py measures both). Buckets older than the retention are
pruned by ``prune_buckets``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.db_types import utcnow
from hub.models.fleet_health import DeviceState, HeartbeatBucket
from protocol.payloads.device import DeviceHeartbeat

BUCKET_S = 300
RETENTION = timedelta(days=14)
ONLINE, OFFLINE = "online", "offline"

T_STATE = DeviceState.__table__  # type: ignore[attr-defined]
T_BUCKET = HeartbeatBucket.__table__  # type: ignore[attr-defined]
_BUCKET_VALUES = ("beats", "last_at", "queue_min", "queue_max", "queue_last", "oldest_age_max",
                  "disk_free_min", "cpu_temp_max", "skew_max_s")


@dataclass(frozen=True, slots=True)
class Beat:
    """One heartbeat as the hub read it: which device, its own send time, the payload."""

    device_id: int
    sent_at: datetime
    heartbeat: DeviceHeartbeat


def bucket_of(at: datetime) -> datetime:
    """The start of the 5-minute bucket holding ``at`` (UTC)."""
    at = at.astimezone(UTC)
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % BUCKET_S, UTC)


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _state_values(beat: Beat, received_at: datetime) -> dict[str, Any]:
    hb = beat.heartbeat
    return {
        "heartbeat_at": beat.sent_at, "received_at": received_at,
        # Hub clock minus device clock at reception: transport lag is well under a second,
        # so anything beyond the alert threshold is the device's clock.
        "clock_skew_s": int((received_at - beat.sent_at).total_seconds()),
        "app_version": hb.app_version, "catalog_version": hb.catalog_version,
        "config_version": hb.config_version, "model_version": hb.model_version,
        "queue_depth": hb.queue_depth, "oldest_unsent_age_s": hb.oldest_unsent_age_s,
        "dead_letters": hb.dead_letters, "disk_free_mb": hb.disk_free_mb,
        "disk_total_mb": hb.disk_total_mb, "uptime_s": hb.uptime_s, "printer": hb.printer,
        "scale_present": hb.scale_present, "card_reader_present": hb.card_reader_present,
        "cpu_temp_c": hb.cpu_temp_c, "in_use": hb.in_use, "pending_update": hb.pending_update,
    }


def _max(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def _min(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else min(a, b)


def _merge(row: dict[str, Any], beat: Beat, skew: int) -> dict[str, Any]:
    hb = beat.heartbeat
    newer = row["last_at"] is None or as_utc(row["last_at"]) <= beat.sent_at  # type: ignore[operator]
    return {
        **row,
        "beats": row["beats"] + 1,
        "last_at": beat.sent_at if newer else row["last_at"],
        "queue_min": min(row["queue_min"], hb.queue_depth) if row["beats"] else hb.queue_depth,
        "queue_max": max(row["queue_max"], hb.queue_depth),
        "queue_last": hb.queue_depth if newer else row["queue_last"],
        "oldest_age_max": _max(row["oldest_age_max"], hb.oldest_unsent_age_s),
        "disk_free_min": _min(row["disk_free_min"], hb.disk_free_mb),
        "cpu_temp_max": _max(row["cpu_temp_max"], hb.cpu_temp_c),
        "skew_max_s": _max(row["skew_max_s"], abs(skew)),
    }


def note_heartbeats(
    conn: Connection, beats: Sequence[Beat], *, received_at: datetime | None = None
) -> int:
    """Fold heartbeats into the devices' latest state and their 5-minute buckets.

    Runs inside the caller's transaction (the ingest batch). Rows are touched in ascending
    device id order, as the ingest writer locks everything else (no deadlock between
    workers). Returns the number of bucket rows written.
    """
    if not beats:
        return 0
    now = received_at or utcnow()
    ordered = sorted(beats, key=lambda b: (b.device_id, b.sent_at))
    latest: dict[int, Beat] = {}
    for b in ordered:
        latest[b.device_id] = b
    _upsert_states(conn, latest.values(), now)
    keys = sorted({(b.device_id, bucket_of(b.sent_at)) for b in ordered})
    existing: dict[tuple[int, datetime], dict[str, Any]] = {}
    ids = sorted({k[0] for k in keys})
    starts = sorted({k[1] for k in keys})
    for mapping in conn.execute(
        sa.select(T_BUCKET).where(T_BUCKET.c.device_id.in_(ids),
                                  T_BUCKET.c.bucket_start.in_(starts))
    ).mappings():
        row = dict(mapping)
        existing[(row["device_id"], as_utc(row["bucket_start"]))] = row  # type: ignore[index]
    fresh: dict[tuple[int, datetime], dict[str, Any]] = {}
    for b in ordered:
        key = (b.device_id, bucket_of(b.sent_at))
        base = existing.get(key) or fresh.get(key) or {
            "device_id": b.device_id, "bucket_start": key[1], "beats": 0, "last_at": None,
            "queue_min": 0, "queue_max": 0, "queue_last": 0, "oldest_age_max": None,
            "disk_free_min": None, "cpu_temp_max": None, "skew_max_s": None,
        }
        merged = _merge(base, b, int((now - b.sent_at).total_seconds()))
        if key in existing:
            existing[key] = merged
        else:
            fresh[key] = merged
    touched = [existing[k] for k in keys if k in existing]
    if touched:
        # One executemany for the whole batch (a statement per row cost 3x the CPU).
        conn.execute(
            sa.update(T_BUCKET)
            .where(T_BUCKET.c.device_id == sa.bindparam("k_device"),
                   T_BUCKET.c.bucket_start == sa.bindparam("k_start"))
            .values({k: sa.bindparam(k) for k in _BUCKET_VALUES}),
            [{"k_device": r["device_id"], "k_start": r["bucket_start"],
              **{k: r[k] for k in _BUCKET_VALUES}} for r in touched])
    if fresh:
        conn.execute(sa.insert(T_BUCKET), [fresh[k] for k in sorted(fresh)])
    return len(touched) + len(fresh)


def _upsert_states(conn: Connection, beats: Iterable[Beat], now: datetime) -> None:
    beats = list(beats)
    known = {
        r.device_id: as_utc(r.heartbeat_at)
        for r in conn.execute(
            sa.select(T_STATE.c.device_id, T_STATE.c.heartbeat_at)
            .where(T_STATE.c.device_id.in_([b.device_id for b in beats]))
        )
    }
    new, changed = [], []
    for b in beats:
        values = _state_values(b, now)
        if b.device_id not in known:
            new.append({"device_id": b.device_id, **values})
            continue
        seen = known[b.device_id]
        if seen is not None and seen > b.sent_at:
            continue  # an older heartbeat arriving late changes nothing
        changed.append({"k_device": b.device_id, **values})
    if new:
        conn.execute(sa.insert(T_STATE), new)
    if changed:
        conn.execute(sa.update(T_STATE).where(T_STATE.c.device_id == sa.bindparam("k_device"))
                     .values({k: sa.bindparam(k) for k in changed[0] if k != "k_device"}),
                     changed)


def note_status(
    conn: Connection, *, device_id: int, state: str, sent_at: datetime,
    app_version: str | None = None,
) -> bool:
    """Apply a retained status (online, or offline: the last will). Returns True if applied.

    A status older than the one applied is ignored: the broker may deliver the retained
    message after a fresher one when the hub reconnects.
    """
    row = conn.execute(
        sa.select(T_STATE.c.presence, T_STATE.c.status_at).where(T_STATE.c.device_id == device_id)
    ).first()
    values: dict[str, Any] = {"presence": state, "status_at": sent_at}
    if app_version is not None:
        values["app_version"] = app_version
    if row is None:
        conn.execute(sa.insert(T_STATE).values(device_id=device_id, presence_since=sent_at,
                                               **values))
        return True
    if row.status_at is not None and as_utc(row.status_at) > sent_at:  # type: ignore[operator]
        return False
    if row.presence != state:
        values["presence_since"] = sent_at
    conn.execute(sa.update(T_STATE).where(T_STATE.c.device_id == device_id).values(**values))
    return True


def prune_buckets(conn: Connection, *, now: datetime | None = None) -> int:
    """Delete buckets older than the retention; returns how many."""
    cutoff = (now or utcnow()) - RETENTION
    return conn.execute(sa.delete(T_BUCKET).where(T_BUCKET.c.bucket_start < cutoff)).rowcount


def buckets(
    conn: Connection, *, device_id: int, since: datetime, until: datetime | None = None
) -> list[dict[str, Any]]:
    """A device's buckets from ``since`` (oldest first), for its chart."""
    stmt = (sa.select(T_BUCKET).where(T_BUCKET.c.device_id == device_id,
                                      T_BUCKET.c.bucket_start >= bucket_of(since))
            .order_by(T_BUCKET.c.bucket_start))
    if until is not None:
        stmt = stmt.where(T_BUCKET.c.bucket_start <= until)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def hourly(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Roll 5-minute buckets up to hours (count summed, min of mins, max of maxes, last)."""
    out: dict[datetime, dict[str, Any]] = {}
    for r in rows:
        start = as_utc(r["bucket_start"])
        assert start is not None
        hour = start.replace(minute=0, second=0, microsecond=0)
        h = out.get(hour)
        if h is None:
            out[hour] = {**r, "bucket_start": hour}
            continue
        h["beats"] += r["beats"]
        h["queue_min"] = min(h["queue_min"], r["queue_min"])
        h["queue_max"] = max(h["queue_max"], r["queue_max"])
        h["queue_last"] = r["queue_last"]
        h["last_at"] = r["last_at"]
        for k, f in (("oldest_age_max", _max), ("disk_free_min", _min),
                     ("cpu_temp_max", _max), ("skew_max_s", _max)):
            h[k] = f(h[k], r[k])
    return [out[k] for k in sorted(out)]
