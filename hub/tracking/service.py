"""Record order.state events idempotently and refold each touched order (any arrival order)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.db_sets import chunks, in_set
from hub.db_types import utcnow
from hub.models.tracking import OrderTrackEvent
from hub.tracking.copy import copy_events
from hub.tracking.refold import PLACED, refold_orders
from protocol import Envelope, OrderPlaced
from protocol.payloads.kitchen import OrderStateChanged

T_EVENT = OrderTrackEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Recorded:
    """How many events were new, and which orders were refolded."""

    new: int
    duplicates: int
    orders: frozenset[str]


def record(conn: Connection, envelopes: Iterable[Envelope], *, bulk: bool = False) -> Recorded:
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
    - ``bulk=True`` (the ingest writer, which retries its whole transaction on an
      IntegrityError): on PostgreSQL the new events go in by COPY, so an event stored by
      a concurrent transaction after the lookup raises instead of being skipped.
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
    ids = sorted({r["message_id"] for r in rows})
    known: set[str] = set()
    for chunk in chunks(conn, ids):
        known.update(m for (m,) in conn.execute(
            sa.select(T_EVENT.c.message_id).where(in_set(conn, T_EVENT.c.message_id, chunk))))
    fresh = {r["message_id"]: r for r in rows if r["message_id"] not in known}
    orders = frozenset(r["order_id"] for r in fresh.values())
    # Set-based, for the whole batch: one select of the orders' stored events (the new
    # ones are folded in from memory), one upsert per table.
    refold_orders(conn, orders, fresh.values())
    if fresh and bulk and conn.dialect.name == "postgresql":
        copy_events(conn, list(fresh.values()))
    elif fresh:
        conn.execute(_insert(conn, T_EVENT).on_conflict_do_nothing(), list(fresh.values()))
    return Recorded(len(fresh), len(rows) - len(fresh), orders)


def refold(conn: Connection, order_id: str) -> None:
    """Recompute an order's state and its stations from every event it has."""
    refold_orders(conn, [order_id])


def _event_row(env: Envelope, order_id: str, order_no: str, state: str, station: str | None,
               stations: list[str], at: datetime, recall: bool = False) -> dict[str, Any]:
    return {
        "message_id": env.message_id, "order_id": order_id, "site_code": env.site,
        "device_code": env.device, "order_no": order_no, "state": state, "station": station,
        "stations": stations, "at": at, "recall": recall, "received_at": utcnow(),
    }


def _insert(conn: Connection, table: sa.Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
