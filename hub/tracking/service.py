"""Record order.state events idempotently and refold each touched order (any arrival order)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.db_types import utcnow
from hub.models.tracking import OrderTrack, OrderTrackEvent, OrderTrackStation
from protocol import Envelope, OrderPlaced
from protocol.payloads.kitchen import OrderStateChanged, fold_states

T_EVENT = OrderTrackEvent.__table__  # type: ignore[attr-defined]
T_TRACK = OrderTrack.__table__  # type: ignore[attr-defined]
T_STATION = OrderTrackStation.__table__  # type: ignore[attr-defined]

PLACED = "placed"


@dataclass(frozen=True, slots=True)
class Recorded:
    """How many events were new, and which orders were refolded."""

    new: int
    duplicates: int
    orders: frozenset[str]


def record(conn: Connection, envelopes: Iterable[Envelope]) -> Recorded:
    """Store order.placed / order.state envelopes once each (by message id), then refold.

    Contract for the ingest worker:
    - ``conn`` is the ingest batch's connection with its transaction open; this
      function never commits, rolls back or opens a transaction of its own, so the
      events, the refolded state and the batch's other rows commit (or fail) together.
    - ``envelopes`` are already parsed; any type other than order.placed and
      order.state is skipped, so the whole batch may be passed.
    - Idempotent by ``Envelope.message_id``: a message already stored (an earlier
      batch, or twice in this one) is counted in ``duplicates`` and changes nothing.
    - Events may arrive in any order; each touched order is refolded from all its events.
    Returns the counts and the ids of the refolded orders.
    """
    rows: list[dict[str, Any]] = []
    for env in envelopes:
        p = env.payload
        if isinstance(p, OrderStateChanged):
            rows.append(_event_row(env, p.order_id, p.order_no, p.state, p.station,
                                   list(p.stations), p.at, p.recall))
        elif isinstance(p, OrderPlaced):
            stations = list(dict.fromkeys(line.station for line in p.lines))
            rows.append(_event_row(env, p.order_id, p.order_no, PLACED, None, stations,
                                   p.placed_at))
    if not rows:
        return Recorded(0, 0, frozenset())
    ids = {r["message_id"] for r in rows}
    known = {m for (m,) in conn.execute(
        sa.select(T_EVENT.c.message_id).where(T_EVENT.c.message_id.in_(ids)))}
    fresh = {r["message_id"]: r for r in rows if r["message_id"] not in known}
    if fresh:
        conn.execute(_insert(conn, T_EVENT).on_conflict_do_nothing(), list(fresh.values()))
    orders = frozenset(r["order_id"] for r in fresh.values())
    for order_id in orders:
        refold(conn, order_id)
    return Recorded(len(fresh), len(rows) - len(fresh), orders)


def refold(conn: Connection, order_id: str) -> None:
    """Recompute an order's state and its stations from every event it has."""
    events = conn.execute(
        sa.select(T_EVENT).where(T_EVENT.c.order_id == order_id).order_by(T_EVENT.c.at)
    ).mappings().all()
    if not events:
        return
    placed = [e for e in events if e["state"] == PLACED]
    stations = list(dict.fromkeys(s for e in events for s in e["stations"]))
    changes = [_as_change(e) for e in events if e["state"] != PLACED]
    status = fold_states(changes, stations)
    first = events[0]
    track = {
        "order_id": order_id, "site_code": first["site_code"], "order_no": first["order_no"],
        "state": status.state, "placed_at": placed[0]["at"] if placed else None,
        "ready_at": status.ready_at, "collected_at": status.collected_at,
        "cancelled_at": status.cancelled_at, "updated_at": utcnow(),
    }
    _upsert(conn, T_TRACK, [track], ["order_id"])
    started: dict[str, datetime] = {}
    for e in changes:
        if e.station is not None and e.state == "in_preparation" and not e.recall:
            started.setdefault(e.station, e.at)  # events are in time order: the first start
    per_station = []
    for station in stations:
        state, at = status.stations.get(station, (PLACED, None))
        per_station.append({
            "order_id": order_id, "station": station, "site_code": first["site_code"],
            "state": state, "started_at": started.get(station),
            "ready_at": at if state == "ready" else None,
        })
    _upsert(conn, T_STATION, per_station, ["order_id", "station"])


def _as_change(e: Any) -> OrderStateChanged:
    return OrderStateChanged(order_id=e["order_id"], order_no=e["order_no"], state=e["state"],
                             at=e["at"], station=e["station"], stations=tuple(e["stations"]),
                             recall=bool(e["recall"]))


def _event_row(env: Envelope, order_id: str, order_no: str, state: str, station: str | None,
               stations: list[str], at: datetime, recall: bool = False) -> dict[str, Any]:
    return {
        "message_id": env.message_id, "order_id": order_id, "site_code": env.site,
        "device_code": env.device, "order_no": order_no, "state": state, "station": station,
        "stations": stations, "at": at, "recall": recall, "received_at": utcnow(),
    }


def _insert(conn: Connection, table: sa.Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _upsert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]],
            keys: list[str]) -> None:
    if not rows:
        return
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={k: stmt.excluded[k] for k in rows[0] if k not in keys},
    )
    conn.execute(stmt, list(rows))
