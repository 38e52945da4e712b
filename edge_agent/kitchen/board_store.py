"""Local state of a pickup board: every order's kitchen events, folded into preparing/ready."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from edge_agent.kitchen.schema import Clock, emit_state, open_store, utc_now
from edge_agent.outbox import write_txn
from protocol.envelope import Envelope
from protocol.payloads.kitchen import OrderStateChanged, fold_states
from protocol.payloads.order import OrderPlaced

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """One number on the board."""

    order_id: str
    order_no: str
    since: datetime  # placed (preparing) or ready (ready)


@dataclass(frozen=True, slots=True)
class Board:
    """The two columns, oldest first; the newest ready numbers are the last ones."""

    preparing: tuple[BoardEntry, ...]
    ready: tuple[BoardEntry, ...]


class BoardStore:
    """Orders and their order.state events on one SQLite connection."""

    def __init__(
        self, path: Path | str, *, site_id: str, device_id: str, clock: Clock = utc_now
    ) -> None:
        self.conn = open_store(path)
        self.site_id, self.device_id = site_id, device_id
        self.clock = clock

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def apply_envelope(self, env: Envelope) -> bool:
        """Apply an order.placed or order.state; True if the board may have changed."""
        p = env.payload
        with write_txn(self.conn):
            if isinstance(p, OrderPlaced):
                stations = list(dict.fromkeys(line.station for line in p.lines))
                n = self._insert_order(p.order_id, p.order_no, p.placed_at, stations)
            elif isinstance(p, OrderStateChanged):
                self._insert_order(p.order_id, p.order_no, p.at, list(p.stations))
                n = self.conn.execute(
                    "INSERT OR IGNORE INTO pickup_event (message_id, order_id, payload)"
                    " VALUES (?, ?, ?)", (env.message_id, p.order_id, p.model_dump_json()),
                ).rowcount
            else:
                return False
            if n:
                self._refold(p.order_id)
        return n > 0

    def collect(self, order_no: str) -> bool:
        """The diner took the order: record ``collected`` (outbox and board). False if unknown."""
        now = self.clock()
        with write_txn(self.conn):
            row = self.conn.execute(
                "SELECT order_id, stations FROM pickup_order WHERE order_no = ?"
                " AND state NOT IN ('collected', 'cancelled') ORDER BY placed_at DESC LIMIT 1",
                (order_no,)).fetchone()
            if row is None:
                return False
            ev = OrderStateChanged(order_id=row[0], order_no=order_no, state="collected",
                                   at=now, stations=tuple(json.loads(row[1])))
            mid = emit_state(self.conn, ev, site=self.site_id, device=self.device_id, now=now)
            self.conn.execute(
                "INSERT INTO pickup_event (message_id, order_id, payload) VALUES (?, ?, ?)",
                (mid, ev.order_id, ev.model_dump_json()))
            self._refold(ev.order_id)
        return True

    def board(self, *, ready_shown_s: float) -> Board:
        """Preparing and ready numbers; a ready number leaves after ready_shown_s."""
        cutoff = (self.clock() - timedelta(seconds=ready_shown_s)).isoformat()
        prep = self.conn.execute(
            "SELECT order_id, order_no, placed_at FROM pickup_order"
            " WHERE state IN ('placed', 'in_preparation') ORDER BY placed_at, order_no")
        ready = self.conn.execute(
            "SELECT order_id, order_no, ready_at FROM pickup_order"
            " WHERE state = 'ready' AND ready_at >= ? ORDER BY ready_at, order_no", (cutoff,))
        return Board(
            tuple(BoardEntry(a, b, datetime.fromisoformat(c)) for a, b, c in prep),
            tuple(BoardEntry(a, b, datetime.fromisoformat(c)) for a, b, c in ready),
        )

    def state_of(self, order_no: str) -> str | None:
        """The folded state of the latest order with this number (tests, support)."""
        row = self.conn.execute(
            "SELECT state FROM pickup_order WHERE order_no = ? ORDER BY placed_at DESC LIMIT 1",
            (order_no,)).fetchone()
        return None if row is None else str(row[0])

    def _insert_order(self, order_id: str, order_no: str, placed_at: datetime,
                      stations: list[str]) -> int:
        n = self.conn.execute(
            "INSERT OR IGNORE INTO pickup_order (order_id, order_no, placed_at, stations)"
            " VALUES (?, ?, ?, ?)",
            (order_id, order_no, placed_at.isoformat(), json.dumps(stations))).rowcount
        if not n:
            # An order.state may arrive before its order.placed: keep the earliest time.
            self.conn.execute(
                "UPDATE pickup_order SET placed_at = min(placed_at, ?) WHERE order_id = ?",
                (placed_at.isoformat(), order_id))
        return int(n)

    def _refold(self, order_id: str) -> None:
        stations = json.loads(self.conn.execute(
            "SELECT stations FROM pickup_order WHERE order_id = ?", (order_id,)).fetchone()[0])
        events = [OrderStateChanged.model_validate_json(r[0]) for r in self.conn.execute(
            "SELECT payload FROM pickup_event WHERE order_id = ?", (order_id,))]
        status = fold_states(events, stations)
        self.conn.execute(
            "UPDATE pickup_order SET state = ?, ready_at = ?, collected_at = ? WHERE order_id = ?",
            (status.state, status.ready_at.isoformat() if status.ready_at else None,
             status.collected_at.isoformat() if status.collected_at else None, order_id))
