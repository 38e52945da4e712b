"""Local state of a kitchen display: tickets, bumps, recall and undo, in the device store.

Every change a cook makes is committed together with its order.state outbox
row (one transaction), so the hub hears of it exactly as reliably as of orders.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from edge_agent.kitchen.schema import Clock, emit_state, open_store, utc_now
from edge_agent.kitchen.tickets import Ticket, TicketItem, split_order
from edge_agent.outbox import enqueue, write_txn
from edge_agent.portions import keep_prepared
from protocol.codec import encode
from protocol.envelope import Envelope, make_envelope
from protocol.payloads.bookings import BookingsSnapshot, PortionsRecorded
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.kitchen import OrderStateChanged
from protocol.payloads.order import OrderPlaced
from protocol.payloads.portions import PortionsPrepared

log = logging.getLogger(__name__)

_COLS = "order_id, station, order_no, placed_at, stations, items, flags, bumped_at"


class KdsStore:
    """Tickets of the configured stations (all when none), on one SQLite connection."""

    def __init__(
        self, path: Path | str, *, site_id: str, device_id: str,
        stations: Iterable[str] = (), clock: Clock = utc_now,
    ) -> None:
        self.conn = open_store(path)
        self.site_id, self.device_id = site_id, device_id
        self.stations = frozenset(stations)
        self.clock = clock
        self._flags = self._catalog_flags()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    # ---- from the site broker ------------------------------------------------

    def apply_envelope(self, env: Envelope) -> bool:
        """Apply an order.placed or order.state from the site broker; True if anything changed."""
        if isinstance(env.payload, OrderPlaced):
            return self.apply_order(env.payload) > 0
        p = env.payload
        if isinstance(p, OrderStateChanged) and p.state == "cancelled":
            with write_txn(self.conn):
                n = self.conn.execute(
                    "UPDATE kitchen_ticket SET cancelled = 1 WHERE order_id = ? AND cancelled = 0",
                    (p.order_id,),
                ).rowcount
            return n > 0
        if (isinstance(p, OrderStateChanged) and p.station is not None
                and env.device != self.device_id):
            return self.apply_remote(p)
        return False

    def apply_remote(self, ev: OrderStateChanged) -> bool:
        """A bump or recall made on another display of the same station: shown here too.

        It applies only if later than the last bump/recall seen here, so replays and
        stale events change nothing; a display's first-seen start (not a recall) never
        reopens a ticket; no event is emitted (the other display did).
        """
        if ev.station is None or (ev.state == "in_preparation" and not ev.recall):
            return False
        with write_txn(self.conn):
            row = self.conn.execute(
                "SELECT bumped_at, changed_at FROM kitchen_ticket WHERE order_id = ?"
                " AND station = ? AND cancelled = 0", (ev.order_id, ev.station)).fetchone()
            if row is None:
                self._hold(ev)
                return False
            bumped_at, changed_at = row
            if changed_at is not None and _not_later(ev, datetime.fromisoformat(changed_at)):
                return False
            at = ev.at.isoformat()
            # Later than anything seen here: it decides, even when the ticket already shows
            # its state (an older event of the other kind arriving next must lose to it).
            self.conn.execute(
                "UPDATE kitchen_ticket SET changed_at = ? WHERE order_id = ? AND station = ?",
                (at, ev.order_id, ev.station))
            if ev.state == "ready" and bumped_at is None:
                (seq,) = self.conn.execute(
                    "SELECT coalesce(max(bump_seq), 0) + 1 FROM kitchen_ticket").fetchone()
                self.conn.execute(
                    "UPDATE kitchen_ticket SET bumped_at = ?, bump_seq = ?"
                    " WHERE order_id = ? AND station = ?",
                    (at, seq, ev.order_id, ev.station))
                return True
            if ev.state == "in_preparation" and bumped_at is not None:
                self.conn.execute(
                    "UPDATE kitchen_ticket SET bumped_at = NULL, bump_seq = NULL"
                    " WHERE order_id = ? AND station = ?", (ev.order_id, ev.station))
                return True
        return False

    def apply_order(self, order: OrderPlaced) -> int:
        """Insert this order's tickets for our stations, once; started events go to the outbox."""
        tickets = [t for t in split_order(order, self._flags)
                   if not self.stations or t.station in self.stations]
        now = self.clock()
        added = 0
        with write_txn(self.conn):
            for t in tickets:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO kitchen_ticket (order_id, station, order_no, placed_at,"
                    " stations, items, flags, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (t.order_id, t.station, t.order_no, t.placed_at.isoformat(),
                     json.dumps(t.stations), _items_json(t.items), json.dumps(t.flags),
                     now.timestamp()),
                )
                if cur.rowcount:
                    added += 1
                    if not self._apply_held(t):
                        self._emit(t, "in_preparation", now)
        return added

    # ---- what the cook sees ----------------------------------------------------

    def open_tickets(self) -> list[Ticket]:
        """Open tickets, oldest first."""
        rows = self.conn.execute(
            f"SELECT {_COLS} FROM kitchen_ticket WHERE bumped_at IS NULL AND cancelled = 0"
            " ORDER BY placed_at, order_no, station"
        )
        return [_ticket(r) for r in rows]

    def recently_bumped(self, limit: int = 5) -> list[Ticket]:
        """The last bumped tickets, newest first (the recall list)."""
        rows = self.conn.execute(
            f"SELECT {_COLS} FROM kitchen_ticket WHERE bumped_at IS NOT NULL AND cancelled = 0"
            " ORDER BY bump_seq DESC LIMIT ?", (limit,),
        )
        return [_ticket(r) for r in rows]

    # ---- what the cook does ------------------------------------------------------

    def bump(self, order_id: str, station: str, *, log_action: bool = True) -> bool:
        """Mark a ticket done; emits ``ready`` for its station. False if it was not open."""
        now = self.clock()
        with write_txn(self.conn):
            t = self._get(order_id, station)
            if t is None or t.bumped_at is not None:
                return False
            (seq,) = self.conn.execute(
                "SELECT coalesce(max(bump_seq), 0) + 1 FROM kitchen_ticket").fetchone()
            self.conn.execute(
                "UPDATE kitchen_ticket SET bumped_at = ?, bump_seq = ?, changed_at = ?"
                " WHERE order_id = ? AND station = ?",
                (now.isoformat(), seq, now.isoformat(), order_id, station),
            )
            self._emit(t, "ready", now)
            if log_action:
                self._log("bump", order_id, station)
        return True

    def bump_item(self, order_id: str, station: str, line_no: int) -> bool:
        """Toggle one item done; the ticket bumps itself when its last item is done."""
        with write_txn(self.conn):
            t = self._get(order_id, station)
            if t is None or t.bumped_at is not None:
                return False
            items = tuple(replace(i, done=not i.done) if i.line_no == line_no else i
                          for i in t.items)
            self.conn.execute(
                "UPDATE kitchen_ticket SET items = ? WHERE order_id = ? AND station = ?",
                (_items_json(items), order_id, station),
            )
            self._log("item", order_id, station, line_no)
        if all(i.done for i in items):
            return self.bump(order_id, station)
        return True

    def recall(self, order_id: str | None = None, station: str | None = None,
               *, log_action: bool = True) -> Ticket | None:
        """Reopen a bumped ticket (the last bumped when none is named); emits in_preparation."""
        now = self.clock()
        with write_txn(self.conn):
            if order_id is None or station is None:
                row = self.conn.execute(
                    "SELECT order_id, station FROM kitchen_ticket WHERE bumped_at IS NOT NULL"
                    " AND cancelled = 0 ORDER BY bump_seq DESC LIMIT 1").fetchone()
                if row is None:
                    return None
                order_id, station = row
            t = self._get(order_id, station)
            if t is None or t.bumped_at is None:
                return None
            self.conn.execute(
                "UPDATE kitchen_ticket SET bumped_at = NULL, bump_seq = NULL, changed_at = ?"
                " WHERE order_id = ? AND station = ?", (now.isoformat(), order_id, station))
            self._emit(t, "in_preparation", now, recall=True)
            if log_action:
                self._log("recall", order_id, station)
        return replace(t, bumped_at=None)

    def undo(self) -> str | None:
        """Undo the cook's last action (bump, item, recall); what was undone, or None."""
        row = self.conn.execute(
            "SELECT seq, action, order_id, station, line_no FROM kitchen_action"
            " WHERE undone = 0 ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return None
        seq, action, order_id, station, line_no = row
        if action == "bump":
            self.recall(order_id, station, log_action=False)
        elif action == "recall":
            self.bump(order_id, station, log_action=False)
        else:
            self._untoggle(order_id, station, line_no)
        with write_txn(self.conn):
            self.conn.execute("UPDATE kitchen_action SET undone = 1 WHERE seq = ?", (seq,))
        return str(action)

    # ---- helpers ---------------------------------------------------------------------

    def _hold(self, ev: OrderStateChanged) -> None:
        """Keep another display's bump/recall of a ticket not here yet (the latest one)."""
        if ev.station is None or (self.stations and ev.station not in self.stations):
            return
        row = self.conn.execute(
            "SELECT state, at FROM kitchen_remote WHERE order_id = ? AND station = ?",
            (ev.order_id, ev.station)).fetchone()
        if row is not None and (ev.at, _RANK[ev.state]) <= (
                datetime.fromisoformat(row[1]), _RANK[row[0]]):
            return
        self.conn.execute(
            "INSERT OR REPLACE INTO kitchen_remote (order_id, station, state, at)"
            " VALUES (?, ?, ?, ?)", (ev.order_id, ev.station, ev.state, ev.at.isoformat()))

    def _apply_held(self, t: Ticket) -> bool:
        """A new ticket that another display already bumped arrives bumped; True if so."""
        row = self.conn.execute(
            "DELETE FROM kitchen_remote WHERE order_id = ? AND station = ? RETURNING state, at",
            (t.order_id, t.station)).fetchall()
        if not row:
            return False
        state, at = row[0]
        if state != "ready":  # a recall: the ticket is open, later than that recall only
            self.conn.execute(
                "UPDATE kitchen_ticket SET changed_at = ? WHERE order_id = ? AND station = ?",
                (at, t.order_id, t.station))
            return False
        (seq,) = self.conn.execute(
            "SELECT coalesce(max(bump_seq), 0) + 1 FROM kitchen_ticket").fetchone()
        self.conn.execute(
            "UPDATE kitchen_ticket SET bumped_at = ?, bump_seq = ?, changed_at = ?"
            " WHERE order_id = ? AND station = ?", (at, seq, at, t.order_id, t.station))
        return True

    def _untoggle(self, order_id: str, station: str, line_no: int) -> None:
        with write_txn(self.conn):
            t = self._get(order_id, station)
            if t is None:
                return
            items = tuple(replace(i, done=not i.done) if i.line_no == line_no else i
                          for i in t.items)
            self.conn.execute(
                "UPDATE kitchen_ticket SET items = ? WHERE order_id = ? AND station = ?",
                (_items_json(items), order_id, station))

    def _get(self, order_id: str, station: str) -> Ticket | None:
        row = self.conn.execute(
            f"SELECT {_COLS} FROM kitchen_ticket WHERE order_id = ? AND station = ?",
            (order_id, station)).fetchone()
        return None if row is None else _ticket(row)

    def _log(self, action: str, order_id: str, station: str, line_no: int | None = None) -> None:
        self.conn.execute(
            "INSERT INTO kitchen_action (action, order_id, station, line_no) VALUES (?, ?, ?, ?)",
            (action, order_id, station, line_no))

    def _emit(self, t: Ticket, state: str, now: datetime, *, recall: bool = False) -> None:
        ev = OrderStateChanged(order_id=t.order_id, order_no=t.order_no, state=state,
                               at=now, station=t.station, stations=t.stations, recall=recall)
        emit_state(self.conn, ev, site=self.site_id, device=self.device_id, now=now)

    # ---- portions: the day's plan (downlinked) and what the kitchen records ----

    def day_plan(self) -> BookingsSnapshot | None:
        """The hub's bookings and plan of the day as last downlinked (1.1), or None."""
        row = self.conn.execute(
            "SELECT payload FROM downlink_state WHERE kind = 'bookings'").fetchone()
        return None if row is None else BookingsSnapshot.model_validate_json(row[0])

    def catalog(self) -> CatalogSnapshot | None:
        """The catalog as last downlinked (meal periods, dish names), or None."""
        row = self.conn.execute(
            "SELECT payload FROM downlink_state WHERE kind = 'catalog'").fetchone()
        return None if row is None else CatalogSnapshot.model_validate_json(row[0])

    def record_portions(self, record: PortionsRecorded) -> str:
        """Queue a portions.recorded for the hub in the outbox and keep each dish's cooked
        count as the site's prepared total, for the agent to publish to the kiosks (sold-out
        counts down from it with the hub unreachable); one commit. Its message id."""
        env = make_envelope("portions.recorded", record, site=self.site_id,
                            device=self.device_id, sent_at=self.clock())
        with write_txn(self.conn):
            enqueue(self.conn, message_id=env.message_id, kind="portions.recorded",
                    topic=env.topic(), body=encode(env))
            for dish in record.dishes:
                keep_prepared(self.conn, PortionsPrepared(
                    service_date=record.service_date, meal_period=record.meal_period,
                    dish_id=dish.dish_id, prepared=dish.cooked, at=record.at), unsent=True)
        return env.message_id

    def _catalog_flags(self) -> dict[str, tuple[str, ...]]:
        # Allergens and dietary tags come from the catalog the hub pushed to this
        # device, so a ticket carries them even though the order line does not.
        row = self.conn.execute(
            "SELECT payload FROM downlink_state WHERE kind = 'catalog'").fetchone()
        if row is None:
            return {}
        cat = CatalogSnapshot.model_validate_json(row[0])
        return {d.id: tuple(dict.fromkeys((*d.allergens, *d.tags))) for d in cat.dishes}


# At the same instant a bump outranks a recall (as in protocol's fold_states).
_RANK = {"in_preparation": 1, "ready": 2}


def _not_later(ev: OrderStateChanged, changed_at: datetime) -> bool:
    """True if a remote event is older than (or ties without outranking) the last change."""
    return ev.at < changed_at or (ev.at == changed_at and ev.state != "ready")


def _items_json(items: Sequence[TicketItem]) -> str:
    return json.dumps([
        [i.line_no, i.dish_id, i.name_zh, i.name_en, i.qty, [list(m) for m in i.modifiers],
         i.weight_g, list(i.flags), i.done, i.note] for i in items
    ], ensure_ascii=False)


def _item(x: list[Any]) -> TicketItem:
    # Rows stored before notes existed have nine fields.
    ln, d, zh, en, q, mods, w, fl, done = x[:9]
    note = str(x[9]) if len(x) > 9 else ""
    return TicketItem(ln, d, zh, en, q, tuple((m[0], m[1]) for m in mods), w, tuple(fl), done,
                      note)


def _ticket(row: Sequence[object]) -> Ticket:
    order_id, station, order_no, placed_at, stations, items, flags, bumped_at = row
    parsed = tuple(_item(x) for x in json.loads(str(items)))
    return Ticket(
        str(order_id), str(station), str(order_no), datetime.fromisoformat(str(placed_at)),
        tuple(json.loads(str(stations))), parsed,
        datetime.fromisoformat(str(bumped_at)) if bumped_at else None,
        tuple(json.loads(str(flags))),
    )
