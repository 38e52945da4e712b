"""The device store: what the kiosk calls to record orders and read the catalog and members."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from edge_agent import db
from edge_agent.errors import BookingAlreadyPickedUp, InvalidOrderError, StoreError
from edge_agent.outbox import enqueue, write_txn
from protocol.codec import encode
from protocol.envelope import error_details, make_envelope
from protocol.errors import ProtocolError
from protocol.ids import new_order_id
from protocol.member_cache import CachedMember
from protocol.payloads.bookings import BookingsSnapshot
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.config import DeviceConfig
from protocol.payloads.feedback import FeedbackGiven
from protocol.payloads.order import OrderPlaced

log = logging.getLogger(__name__)

ORDER_TYPE = "order.placed"
FEEDBACK_TYPE = "feedback.given"
STORE_ALLOCATED = ("order_no", "placed_at")

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


# Meta keys the agent keeps current: broker link up ("1") or down ("0"), when that last
# changed, and when the agent last confirmed it (unix seconds; stale means no agent).
AGENT_CONNECTED = "agent.connected"
AGENT_CHANGED_AT = "agent.changed_at"
AGENT_ALIVE_AT = "agent.alive_at"


@dataclass(frozen=True)
class AgentLink:
    """The agent's last word on its broker connection (see ``write_agent_link``)."""

    connected: bool
    changed_at: float
    alive_at: float


def write_agent_link(conn: sqlite3.Connection, *, connected: bool | None, now: float) -> None:
    """Record the link state (``connected`` None: only refresh alive_at), one small transaction."""
    with write_txn(conn):
        rows = [(AGENT_ALIVE_AT, repr(now))]
        if connected is not None:
            rows += [(AGENT_CONNECTED, "1" if connected else "0"), (AGENT_CHANGED_AT, repr(now))]
        conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            rows,
        )


@dataclass(frozen=True)
class RecordedOrder:
    """An order committed on the device together with its outbox row."""

    order_id: str
    order_no: str
    message_id: str
    business_day: str
    placed_at: datetime
    total_cents: int
    payload: OrderPlaced


class DeviceStore:
    """One SQLite file (WAL) shared by the kiosk app and the edge agent of a device."""

    def __init__(
        self,
        path: Path | str,
        *,
        site_id: str,
        device_id: str,
        timezone: str = "Asia/Shanghai",
        order_prefix: str = "A",
        synchronous: db.Synchronous = "FULL",
        clock: Clock = _utc_now,
    ) -> None:
        self.path = Path(path)
        self.site_id = site_id
        self.device_id = device_id
        self.tz = ZoneInfo(timezone)
        self.default_prefix = order_prefix
        self.clock = clock
        # FULL by default: the kiosk prints a receipt right after this commit,
        # so the order must survive a power cut, not only a crash (bench/edge_store.py).
        self.conn = db.connect(self.path, synchronous=synchronous)

    def close(self) -> None:
        """Close the connection (pending nothing: every method commits or rolls back)."""
        self.conn.close()

    def __enter__(self) -> DeviceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- kiosk: writing -------------------------------------------------

    def record_order(self, draft: Mapping[str, Any]) -> RecordedOrder:
        """Validate an order, allocate its number, and commit it with its outbox row.

        ``draft`` holds the fields of protocol's OrderPlaced except ``order_no``
        and ``placed_at``, which the store allocates; ``order_id`` is optional
        (give one to make a retried tap idempotent). Raises InvalidOrderError
        (nothing written) or StoreError.
        """
        if not isinstance(draft, Mapping):
            raise InvalidOrderError(f"an order draft is a mapping, not {type(draft).__name__}")
        given = [k for k in STORE_ALLOCATED if k in draft]
        if given:
            raise InvalidOrderError(f"the store allocates {', '.join(given)}; leave it out")
        order_id = draft.get("order_id") or new_order_id()
        now = self.clock()
        day = now.astimezone(self.tz).date().isoformat()
        try:
            with write_txn(self.conn):
                existing = self._existing_order(order_id)
                if existing is not None:
                    return existing
                booking_id = draft.get("booking_id")
                if booking_id is not None:  # one pick-up per booking, checked in this txn
                    taken = self.booking_order(str(booking_id))
                    if taken is not None:
                        raise BookingAlreadyPickedUp(str(booking_id), taken)
                order_no = self._allocate_order_no(day)
                try:
                    order = OrderPlaced.model_validate(
                        {**draft, "order_id": order_id, "order_no": order_no, "placed_at": now}
                    )
                    envelope = make_envelope(
                        ORDER_TYPE, order, site=self.site_id, device=self.device_id, sent_at=now
                    )
                    body = encode(envelope)
                    topic = envelope.topic()
                except ValidationError as err:
                    raise InvalidOrderError(
                        "invalid order: " + "; ".join(error_details(err))
                    ) from err
                except ProtocolError as err:
                    raise InvalidOrderError(f"invalid order: {err}") from err
                self._insert_order(order, envelope.message_id, day)
                enqueue(
                    self.conn,
                    message_id=envelope.message_id,
                    kind=ORDER_TYPE,
                    topic=topic,
                    body=body,
                )
        except sqlite3.Error as err:
            raise StoreError(f"order not recorded: {err}") from err
        return RecordedOrder(
            order.order_id, order_no, envelope.message_id, day, now, order.total_cents, order
        )

    def record_feedback(self, feedback: Mapping[str, Any]) -> str:
        """Validate a feedback.given payload and commit it with its outbox row; its message id."""
        now = self.clock()
        try:
            payload = FeedbackGiven.model_validate(feedback)
            envelope = make_envelope(
                FEEDBACK_TYPE, payload, site=self.site_id, device=self.device_id, sent_at=now
            )
            body = encode(envelope)
        except ValidationError as err:
            raise InvalidOrderError("invalid feedback: " + "; ".join(error_details(err))) from err
        except ProtocolError as err:
            raise InvalidOrderError(f"invalid feedback: {err}") from err
        try:
            with write_txn(self.conn):
                self.conn.execute(
                    "INSERT INTO feedback (message_id, given_at, payload) VALUES (?, ?, ?)",
                    (envelope.message_id, now.isoformat(), payload.model_dump_json()),
                )
                enqueue(
                    self.conn,
                    message_id=envelope.message_id,
                    kind=FEEDBACK_TYPE,
                    topic=envelope.topic(),
                    body=body,
                )
        except sqlite3.Error as err:
            raise StoreError(f"feedback not recorded: {err}") from err
        return envelope.message_id

    def _existing_order(self, order_id: str) -> RecordedOrder | None:
        row = self.conn.execute(
            "SELECT message_id, business_day, payload FROM orders WHERE order_id = ?", (order_id,)
        ).fetchone()
        if row is None:
            return None
        order = OrderPlaced.model_validate_json(row[2])
        return RecordedOrder(
            order.order_id, order.order_no, row[0], row[1], order.placed_at,
            order.total_cents, order,
        )

    def _order_prefix(self) -> str:
        config = self.device_config()
        if config is not None and config.order_prefix:
            return config.order_prefix
        return self.default_prefix

    def _allocate_order_no(self, day: str) -> str:
        (last,) = self.conn.execute(
            "INSERT INTO order_counters (business_day, last_no) VALUES (?, 1)"
            " ON CONFLICT(business_day) DO UPDATE SET last_no = last_no + 1 RETURNING last_no",
            (day,),
        ).fetchone()
        # Three digits as printed on tickets; a 1000th order of the day just gets a fourth.
        return f"{self._order_prefix()}{last:03d}"

    def _insert_order(self, order: OrderPlaced, message_id: str, day: str) -> None:
        self.conn.execute(
            "INSERT INTO orders (order_id, order_no, business_day, placed_at, total_cents,"
            " member_id, message_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                order.order_id,
                order.order_no,
                day,
                order.placed_at.isoformat(),
                order.total_cents,
                order.member_id,
                message_id,
                order.model_dump_json(),
            ),
        )
        self.conn.executemany(
            "INSERT INTO order_lines (order_id, line_no, item_id, quantity, unit_price_cents)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (order.order_id, n, line.dish_id, line.qty, line.unit_price_cents)
                for n, line in enumerate(order.lines, start=1)
            ],
        )

    def set_hardware_status(self, device: str, status: str) -> None:
        """Record a hardware status (printer: ok / paper_out ...) for the next heartbeat."""
        if not device.isidentifier() or not device.islower() or len(device) > 28:
            raise StoreError(f"hardware name must be a short lowercase code, not {device!r}")
        with write_txn(self.conn):
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (f"hw.{device}", status[:200]),
            )

    # ---- kiosk: reading -------------------------------------------------

    def catalog(self) -> CatalogSnapshot | None:
        """The last good catalog snapshot, or None before the first one arrived."""
        row = self._downlink_row("catalog")
        return None if row is None else CatalogSnapshot.model_validate_json(row[1])

    def lookup_member(self, identifier_hash: str) -> CachedMember | None:
        """The cached member for an identifier hash (sha256 hex), or None."""
        row = self.conn.execute(
            "SELECT identifier_hash, member_id, display_name, tier, balance_cents, subsidy_cents,"
            " points, offline_limit_cents, profile FROM members WHERE identifier_hash = ?",
            (identifier_hash,),
        ).fetchone()
        if row is None:
            return None
        keys = (
            "identifier_hash", "member_id", "display_name", "tier", "balance_cents",
            "subsidy_cents", "points", "offline_limit_cents",
        )
        fields: dict[str, Any] = dict(zip(keys, row[:-1], strict=True))
        profile = json.loads(row[-1] or "{}")
        if isinstance(profile, dict):
            fields.update(profile)
        return CachedMember.model_validate(fields)

    def coupon_redeemed_here(self, coupon_id: str) -> str | None:
        """The order number that already paid with this coupon on this device, or None."""
        row = self.conn.execute(
            "SELECT o.order_no FROM orders o, json_each(o.payload, '$.payments') p"
            " WHERE json_extract(p.value, '$.method') = 'coupon'"
            " AND json_extract(p.value, '$.reference') = ? LIMIT 1",
            (coupon_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def agent_link(self) -> AgentLink | None:
        """What the agent last wrote about its broker connection, or None (no agent yet)."""
        meta: dict[str, str] = dict(self.conn.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?, ?)",
            (AGENT_CONNECTED, AGENT_CHANGED_AT, AGENT_ALIVE_AT),
        ).fetchall())
        if AGENT_CONNECTED not in meta or AGENT_ALIVE_AT not in meta:
            return None
        try:
            return AgentLink(
                connected=meta[AGENT_CONNECTED] == "1",
                changed_at=float(meta.get(AGENT_CHANGED_AT) or meta[AGENT_ALIVE_AT]),
                alive_at=float(meta[AGENT_ALIVE_AT]),
            )
        except ValueError:
            log.warning("unreadable agent link status in the store: %r", meta)
            return None

    def bookings(self) -> BookingsSnapshot | None:
        """The last good pre-bookings snapshot of the day (1.1), or None before one arrived."""
        row = self._downlink_row("bookings")
        return None if row is None else BookingsSnapshot.model_validate_json(row[1])

    def booking_order(self, booking_id: str) -> str | None:
        """The order number that picked this booking up on this device, or None."""
        row = self.conn.execute(
            "SELECT order_no FROM orders WHERE json_extract(payload, '$.booking_id') = ?"
            " LIMIT 1", (booking_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def device_config(self) -> DeviceConfig | None:
        """The last good device config pushed by the hub, or None."""
        row = self._downlink_row("config")
        return None if row is None else DeviceConfig.model_validate_json(row[1])

    def versions(self) -> dict[str, int]:
        """Version of every downlink kind applied so far (catalog, members, config)."""
        rows = self.conn.execute("SELECT kind, version FROM downlink_state")
        return {str(k): int(v) for k, v in rows}

    def _downlink_row(self, kind: str) -> tuple[int, str] | None:
        row = self.conn.execute(
            "SELECT version, payload FROM downlink_state WHERE kind = ?", (kind,)
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    # ---- totals (simulated kiosk, tests, reports) ------------------------

    def order_totals(self) -> tuple[int, int]:
        """(number of orders, sum of total_cents) recorded on this device."""
        n, total = self.conn.execute(
            "SELECT count(*), coalesce(sum(total_cents), 0) FROM orders"
        ).fetchone()
        return int(n), int(total)

    def counters(self) -> dict[str, int]:
        """Named counters (acks, refusals, dead letters...)."""
        return db.read_counters(self.conn)
