"""Set-based refold: every touched order of a batch from one select, two executemany upserts.

Same fold as an order-by-order refold (``protocol.payloads.kitchen.fold_states`` over the
order's events in time order), but a batch of N orders costs a handful of statements
instead of 3N: the ingest worker calls it once per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.db_sets import chunks, in_set
from hub.db_types import utcnow
from hub.models.tracking import OrderTrack, OrderTrackEvent, OrderTrackStation
from protocol.payloads.kitchen import OrderStateChanged, fold_states

T_EVENT = OrderTrackEvent.__table__  # type: ignore[attr-defined]
T_TRACK = OrderTrack.__table__  # type: ignore[attr-defined]
T_STATION = OrderTrackStation.__table__  # type: ignore[attr-defined]

PLACED = "placed"

_TRACK_COLS = ("order_id", "site_code", "order_no", "state", "placed_at", "ready_at",
               "collected_at", "cancelled_at", "updated_at")
_STATION_COLS = ("order_id", "station", "site_code", "state", "started_at", "ready_at")
# PostgreSQL array type of each column, for the one-statement upsert from unnest().
_PG_TYPES = {"placed_at": "timestamptz", "ready_at": "timestamptz",
             "collected_at": "timestamptz", "cancelled_at": "timestamptz",
             "updated_at": "timestamptz", "started_at": "timestamptz"}
_UPSERTS: dict[tuple[str, str], Any] = {}


def refold_orders(conn: Connection, order_ids: Iterable[str],
                  pending: Iterable[Mapping[str, Any]] = ()) -> None:
    """Recompute the state and stations of each order from every event it has (one batch).

    ``pending``: event rows of these orders not inserted yet (or just inserted): folded
    in with the stored ones without reading them back (a message id counts once).
    """
    ids = sorted(set(order_ids))
    if not ids:
        return
    by_order: dict[str, list[Mapping[str, Any]]] = {}
    seen: set[str] = set()
    for chunk in chunks(conn, ids):
        rows = conn.execute(
            sa.select(T_EVENT)
            .where(in_set(conn, T_EVENT.c.order_id, chunk))
            .order_by(T_EVENT.c.order_id, T_EVENT.c.at)
        ).mappings()
        for stored in rows:
            seen.add(stored["message_id"])
            by_order.setdefault(stored["order_id"], []).append(dict(stored))
    wanted = set(ids)
    for row in pending:
        if row["order_id"] in wanted and row["message_id"] not in seen:
            seen.add(row["message_id"])
            events = by_order.setdefault(row["order_id"], [])
            if events and events[-1]["at"] > row["at"]:
                events.append(row)
                events.sort(key=_at)  # stable: ties keep the stored order first
            else:
                events.append(row)
    now = utcnow()
    tracks: list[dict[str, Any]] = []
    stations: list[dict[str, Any]] = []
    # Ascending keys: concurrent ingest batches upsert shared orders' rows in one order
    # only, so they wait for each other instead of deadlocking (issue 20).
    for order_id, events in sorted(by_order.items()):
        track, per_station = fold_order(order_id, events, now)
        tracks.append(track)
        stations.extend(per_station)
    _upsert(conn, T_TRACK, tracks, ("order_id",), _TRACK_COLS)
    stations.sort(key=lambda r: r["station"])
    stations.sort(key=lambda r: r["order_id"])  # stable: (order id, station)
    _upsert(conn, T_STATION, stations, ("order_id", "station"), _STATION_COLS)


def _at(event: Mapping[str, Any]) -> datetime:
    at: datetime = event["at"]
    return at


def fold_order(order_id: str, events: Sequence[Mapping[str, Any]], now: datetime) -> tuple[
    dict[str, Any], list[dict[str, Any]]
]:
    """The order_track row and order_track_station rows of one order's events (time order)."""
    placed = [e for e in events if e["state"] == PLACED]
    stations = list(dict.fromkeys(s for e in events for s in e["stations"]))
    changes = [_as_change(e) for e in events if e["state"] != PLACED]
    status = fold_states(changes, stations)
    first = events[0]
    track = {
        "order_id": order_id, "site_code": first["site_code"], "order_no": first["order_no"],
        "state": status.state, "placed_at": placed[0]["at"] if placed else None,
        "ready_at": status.ready_at, "collected_at": status.collected_at,
        "cancelled_at": status.cancelled_at, "updated_at": now,
    }
    started: dict[str, datetime] = {}
    for c in changes:
        if c.station is not None and c.state == "in_preparation" and not c.recall:
            started.setdefault(c.station, c.at)  # events are in time order: the first start
    per_station = []
    for station in stations:
        state, at = status.stations.get(station, (PLACED, None))
        per_station.append({
            "order_id": order_id, "station": station, "site_code": first["site_code"],
            "state": state, "started_at": started.get(station),
            "ready_at": at if state == "ready" else None,
        })
    return track, per_station


def _as_change(e: Mapping[str, Any]) -> OrderStateChanged:
    return OrderStateChanged(order_id=e["order_id"], order_no=e["order_no"], state=e["state"],
                             at=e["at"], station=e["station"], stations=tuple(e["stations"]),
                             recall=bool(e["recall"]))


def _upsert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]],
            keys: tuple[str, ...], cols: tuple[str, ...]) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        _pg_upsert(conn, table, rows, keys, cols)
        return
    stmt = _UPSERTS.get((dialect, table.name))
    if stmt is None:  # built once: a fresh ``excluded`` alias each time defeats the SQL cache
        base = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        stmt = base.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={k: base.excluded[k] for k in cols if k not in keys},
        )
        _UPSERTS[(dialect, table.name)] = stmt
    conn.execute(stmt, rows)


def _pg_upsert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]],
               keys: tuple[str, ...], cols: tuple[str, ...]) -> None:
    """One INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE for every row.

    psycopg's executemany sends one statement per row; a batch's ~2,000 track and
    station rows cost more than the rest of the batch's writes together.
    """
    arrays = ", ".join(f"%s::{_PG_TYPES.get(c, 'text')}[]" for c in cols)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c not in keys)
    sql = (f'INSERT INTO "{table.name}" ({", ".join(cols)}) SELECT * FROM unnest({arrays}) '
           f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {updates}')
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(sql, [[row[c] for row in rows] for c in cols])
