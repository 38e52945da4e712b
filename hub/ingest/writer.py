"""One batch of inbound messages -> one transaction -> one outcome per message.

Idempotency is set-based: the ids of the batch are looked up in one query,
then only what is new is inserted (COPY on PostgreSQL). Two workers racing on
the same id make one transaction fail on the primary key; it is retried and
the id is then found, so the loser answers "duplicate".

Lock order (issue 20): many workers commit batches concurrently on one PostgreSQL, and
rows that many batches touch would deadlock if two transactions locked two of them in
opposite orders. So the batch transaction never updates a row in the order messages
happened to arrive: ``device.last_seen_at`` is not written in it at all (kept per writer
in memory and flushed by ``flush_seen`` in a short transaction of its own, only ever
moving forward); every other shared row (heartbeat health, member accounts, coupons,
kitchen tracks, new keys of the COPY tables) is locked in ascending key order.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from hub.analytics.rollups import add_orders as add_to_rollups
from hub.db_sets import chunks, in_set
from hub.db_types import utcnow
from hub.downlinks.members import HEARTBEAT_CACHE_KEY, note_cache_versions
from hub.fleet.health import Beat, note_heartbeats
from hub.ingest.classify import MAX_KEPT_BYTES, Accepted, Inbound, Rejected, classify
from hub.ingest.db_errors import Fault, describe, fault_of
from hub.ingest.directory import Directory, KnownDevice
from hub.ingest.handlers import HANDLERS, Stored, run_handlers
from hub.ingest.reprice import Review, reprice, reprice_order
from hub.ingest.rows import OrderRows, feedback_row, message_row, misfit
from hub.models import Device, Feedback, Order, OrderLine, OrderLineModifier, Payment
from hub.models.ingest import DeadLetter, DeviceHealth, IngestConflict, IngestedMessage, PriceReview
from protocol import DeviceHeartbeat, FeedbackGiven, OrderPlaced, content_digest

log = logging.getLogger(__name__)

RACE_RETRIES = 3
SEEN_FLUSH_S = 1.0  # how often a writer writes the devices' last_seen_at it has noted
DATA_ERROR = "data_error"  # dead-letter reason: the database refused this message's rows
# Uplink types this hub ingests: those with a row in the handler registry, and heartbeats.
STORED_TYPES = frozenset(HANDLERS) | {"device.heartbeat"}
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

T_MESSAGE = IngestedMessage.__table__  # type: ignore[attr-defined]
T_ORDER = Order.__table__  # type: ignore[attr-defined]
T_LINE = OrderLine.__table__  # type: ignore[attr-defined]
T_MODIFIER = OrderLineModifier.__table__  # type: ignore[attr-defined]
T_PAYMENT = Payment.__table__  # type: ignore[attr-defined]
T_FEEDBACK = Feedback.__table__  # type: ignore[attr-defined]
T_DEAD = DeadLetter.__table__  # type: ignore[attr-defined]
T_CONFLICT = IngestConflict.__table__  # type: ignore[attr-defined]
T_REVIEW = PriceReview.__table__  # type: ignore[attr-defined]
T_HEALTH = DeviceHealth.__table__  # type: ignore[attr-defined]
T_DEVICE = Device.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one message; ``result`` is an event.ack result, or "deferred"/"none".

    deferred: not stored yet (feedback before its order), no ack so the device re-sends;
    none: nothing to acknowledge (a heartbeat, or a message whose id or sender is unknown).
    """

    message_id: str | None
    site: str | None
    device: str | None
    result: str
    reason: str | None = None


def ack_reason(code: str, detail: str = "") -> str:
    """A short, printable reason for an ack (protocol's ShortText: <= 200, no controls)."""
    text = f"{code}: {detail}" if detail else code
    return _UNPRINTABLE.sub("?", text)[:200]


class BatchWriter:
    """Writes batches idempotently; counts every outcome in ``counts``."""

    def __init__(self, engine: Engine, *, directory: Directory | None = None,
                 seen_flush_s: float = SEEN_FLUSH_S) -> None:
        self.engine = engine
        self.directory = directory or Directory()
        self.counts: Counter[str] = Counter()
        self._effects: Counter[str] = Counter()  # handler counts of the open transaction
        self.seen_flush_s = seen_flush_s
        self._seen: dict[int, Any] = {}  # device id -> newest sent_at committed, not flushed
        self._seen_tx: dict[int, Any] = {}  # the same, of the open transaction
        self._flushed: set[int] = set()  # devices whose last_seen_at this writer has written
        self._flushed_at = 0.0

    def write(self, batch: Sequence[Inbound]) -> list[Outcome]:
        """Commit a batch and return its outcomes.

        Raises only when the database is unusable (an outage, or an error not known to be
        a message's fault): the caller keeps the batch unacknowledged and retries it. A
        data error never comes out of here: the batch is written message by message and
        the message at fault is dead-lettered (``data_error``) and answered "rejected".
        """
        items: list[Accepted | Rejected] = [classify(m) for m in batch]
        for attempt in range(1, RACE_RETRIES + 1):
            try:
                return self._commit(items)
            except Exception as err:
                fault = fault_of(err)
                if fault is Fault.OUTAGE:
                    raise
                if fault is Fault.INTEGRITY and attempt < RACE_RETRIES:
                    # Usually two workers inserting the same id: the retry finds it stored.
                    log.info("batch raced another worker (attempt %d): %s",
                             attempt, describe(err))
                    continue
                log.warning("batch of %d refused by the database (%s: %s); "
                            "writing it message by message", len(items), fault, describe(err))
                break
        outcomes: list[Outcome] = []
        for item in items:
            outcomes.extend(self._write_alone(item))
        return outcomes

    def _commit(self, items: Sequence[Accepted | Rejected]) -> list[Outcome]:
        with self.engine.begin() as conn:
            outcomes = self._write(conn, items)
        self.counts.update(o.result for o in outcomes)
        self.counts.update(self._effects)
        for dev_id, at in self._seen_tx.items():
            if dev_id not in self._seen or self._seen[dev_id] < at:
                self._seen[dev_id] = at
        return outcomes

    def flush_seen(self, *, force: bool = False) -> None:
        """Write the devices' last_seen_at noted since the last flush, in a short transaction.

        Outside the batch transaction so that no batch holds a device row: one UPDATE per
        device in ascending id order, each only moving last_seen_at forward (GREATEST), so
        concurrent flushes of several workers neither deadlock nor go back in time. Due
        every ``seen_flush_s``, at once for a device this writer has not written yet (a new
        device shows as seen without waiting), and on ``force`` (a stopping worker). A
        failure keeps them noted for the next flush: last-seen is never worth a retry loop.
        """
        if not self._seen:
            return
        due = (force or time.monotonic() - self._flushed_at >= self.seen_flush_s
               or not self._seen.keys() <= self._flushed)
        if not due:
            return
        pending, self._seen = self._seen, {}
        try:
            with self.engine.begin() as conn:
                _touch_devices(conn, pending)
        except Exception as err:
            log.warning("last-seen of %d devices not written (%s); kept for the next flush",
                        len(pending), describe(err))
            for dev_id, at in pending.items():
                if dev_id not in self._seen or self._seen[dev_id] < at:
                    self._seen[dev_id] = at
            return
        self._flushed.update(pending)
        self._flushed_at = time.monotonic()

    def _write_alone(self, item: Accepted | Rejected) -> list[Outcome]:
        """One message in its own transaction; dead-lettered if it alone is refused."""
        for attempt in range(1, 3):
            try:
                return self._commit([item])
            except Exception as err:
                fault = fault_of(err)
                if fault is Fault.OUTAGE:
                    raise  # the batch is retried whole; what committed comes back "duplicate"
                if fault is Fault.INTEGRITY and attempt == 1:
                    continue  # a race on this very id settles on the second try
                if isinstance(item, Rejected):
                    raise  # its dead letter itself cannot be stored: not a message's fault
                detail = describe(err)
                log.warning("message %s dead-lettered, refused by the database: %s",
                            _ids(item)[2], detail)
                self.counts["data_error"] += 1
                return self._commit([Rejected(item.inbound, DATA_ERROR, detail, *_ids(item))])
        raise AssertionError("unreachable")

    # ---- one transaction ---------------------------------------------------

    def _write(self, conn: Connection, items: Sequence[Accepted | Rejected]) -> list[Outcome]:
        now = utcnow()
        self._effects = Counter()
        self._seen_tx = {}
        out: list[Outcome | None] = [None] * len(items)
        accepted = [(i, it) for i, it in enumerate(items) if isinstance(it, Accepted)]
        devices = self.directory.devices(
            conn, {(a.envelope.site, a.envelope.device) for _, a in accepted}
        )
        rejected: list[tuple[int, Rejected]] = [
            (i, it) for i, it in enumerate(items) if isinstance(it, Rejected)
        ]
        events: list[tuple[int, Accepted, KnownDevice]] = []
        beats: dict[int, tuple[Accepted, KnownDevice]] = {}
        for i, a in accepted:
            env = a.envelope
            dev = devices.get((env.site, env.device))
            problem = None
            if dev is None:
                problem = ("unknown_device", f"device {env.device!r} is not registered at "
                           f"site {env.site!r}")
            elif not dev.active:
                problem = ("device_inactive", f"device {env.device!r} is deactivated")
            elif env.type not in STORED_TYPES:
                problem = ("unsupported_type", f"the hub does not ingest {env.type!r}")
            elif isinstance(env.payload, OrderPlaced) and (why := misfit(env.payload)):
                problem = ("invalid_payload", why)
            if problem is not None:
                rejected.append((i, Rejected(a.inbound, *problem, env.site, env.device,
                                             env.message_id)))
                continue
            assert dev is not None
            if isinstance(env.payload, DeviceHeartbeat):
                newest = beats.get(dev.device_id)
                if newest is None or newest[0].envelope.sent_at < env.sent_at:
                    beats[dev.device_id] = (a, dev)
                out[i] = Outcome(env.message_id, env.site, env.device, "none")
            else:
                events.append((i, a, dev))
        for i, rej in rejected:
            out[i] = self._dead_letter(rej)
        self._insert(conn, T_DEAD, [_dead_row(rej, now) for _, rej in rejected])
        self._events(conn, events, out, now)
        self._heartbeats(conn, beats.values())
        seen = self._seen_tx
        for dev_id, at in itertools.chain(
            ((dev.device_id, a.envelope.sent_at) for _, a, dev in events),
            ((dev.device_id, a.envelope.sent_at) for a, dev in beats.values()),
        ):
            if dev_id not in seen or seen[dev_id] < at:
                seen[dev_id] = at
        return [o if o is not None else Outcome(None, None, None, "none") for o in out]

    def _events(
        self,
        conn: Connection,
        events: Sequence[tuple[int, Accepted, KnownDevice]],
        out: list[Outcome | None],
        now: Any,
    ) -> None:
        if not events:
            return
        ids = [a.envelope.message_id for _, a, _ in events]
        stored = dict(_select_in(conn, T_MESSAGE.c.message_id, [T_MESSAGE.c.digest], ids))
        referenced = {
            a.envelope.payload.order_id for _, a, _ in events
            if isinstance(a.envelope.payload, OrderPlaced | FeedbackGiven)
        }
        known_orders = {r[0] for r in _select_in(conn, T_ORDER.c.id, [], referenced)}
        orders = [a.envelope.payload for _, a, _ in events
                  if isinstance(a.envelope.payload, OrderPlaced)]
        dishes = self.directory.dishes(conn, {ln.dish_id for o in orders for ln in o.lines})
        members = self.directory.members(conn, {o.member_id for o in orders if o.member_id})
        rows = OrderRows(now)
        messages, feedback, conflicts, reviews = [], [], [], []
        fresh: list[Stored] = []  # events stored now: their handlers run
        seen: dict[str, str] = {}
        for i, a, dev in events:
            env, digest, payload = a.envelope, a.digest, a.envelope.payload
            ok = Outcome(env.message_id, env.site, env.device, "ok")
            prior = stored.get(env.message_id) or seen.get(env.message_id)
            if prior is not None:
                # A digest stored by an older hub hashed the validated payload: compare
                # that form too before calling a re-send a conflict.
                if prior == digest or prior == content_digest(env):
                    out[i] = Outcome(env.message_id, env.site, env.device, "duplicate")
                else:
                    reason = "message id reused with different content"
                    conflicts.append(_conflict_row(a, prior, reason, now))
                    out[i] = Outcome(env.message_id, env.site, env.device, "conflict",
                                     ack_reason("conflict", reason))
                continue
            if isinstance(payload, OrderPlaced):
                if payload.order_id in known_orders:
                    reason = "order id already ingested under another message id"
                    conflicts.append(_conflict_row(a, None, reason, now))
                    out[i] = Outcome(env.message_id, env.site, env.device, "conflict",
                                     ack_reason("conflict", reason))
                    continue
                known_orders.add(payload.order_id)
                member_id = members.get(payload.member_id or "")
                rows.add(payload, dev, member_id=member_id, dishes=dishes)
                fresh.append(Stored(env, dev, member_id))
                # Orders that say how they were priced are re-priced with the same engine
                # from the hub's own data; older ones are checked against dish prices only.
                # A booking's pick-up is priced by its booking (hub.supply.booking_pickups).
                review = (
                    None if payload.booking_id is not None
                    else reprice_order(conn, payload, site_id=dev.site_id)
                    if payload.pricing is not None
                    else reprice(payload, dishes)
                )
                if isinstance(review, Review):
                    reviews.append({**_review_row(review),
                                    "order_id": payload.order_id, "created_at": now})
            elif isinstance(payload, FeedbackGiven):
                if payload.order_id not in known_orders:
                    out[i] = Outcome(env.message_id, env.site, env.device, "deferred",
                                     "order not ingested yet")
                    continue
                feedback.append(feedback_row(payload, now))
                fresh.append(Stored(env, dev))
            else:
                fresh.append(Stored(env, dev))
            seen[env.message_id] = digest
            messages.append(message_row(env, digest, dev, now))
            out[i] = ok
        # New unique keys in ascending order too: two batches holding the same two ids (a
        # redelivery) then wait for each other in one direction only.
        messages.sort(key=lambda r: r["message_id"])
        rows.orders.sort(key=lambda r: r["id"])
        self._insert(conn, T_MESSAGE, messages)
        self._insert(conn, T_ORDER, rows.orders)
        self._insert(conn, T_LINE, rows.lines)
        self._insert(conn, T_PAYMENT, rows.payments)
        self._modifiers(conn, rows)
        self._insert(conn, T_FEEDBACK, feedback)
        self._insert(conn, T_REVIEW, reviews)
        if conflicts:
            conn.execute(_insert_ignore(conn, T_CONFLICT), conflicts)
        run_handlers(conn, fresh, self._effects)
        # The dashboard's sales rollups: the new orders only, one upsert per table, last in
        # the transaction (a refund locks the account, then the rollups: the same order).
        add_to_rollups(conn, rows.orders, rows.lines, rows.payments,
                       {dev.site_id: dev.tz for _, _, dev in events})

    def _modifiers(self, conn: Connection, rows: OrderRows) -> None:
        if not rows.modifiers:
            return
        order_ids = {oid for oid, _, _ in rows.modifiers}
        line_ids = {
            (oid, no): lid for lid, oid, no in conn.execute(
                sa.select(T_LINE.c.id, T_LINE.c.order_id, T_LINE.c.line_no)
                .where(T_LINE.c.order_id.in_(order_ids))
            )
        }
        self._insert(conn, T_MODIFIER, [
            {**row, "order_line_id": line_ids[(oid, no)]} for oid, no, row in rows.modifiers
        ])

    def _heartbeats(
        self, conn: Connection, beats: Iterable[tuple[Accepted, KnownDevice]]
    ) -> None:
        beats = list(beats)
        rows, caches = [], []
        for a, dev in sorted(beats, key=lambda b: b[1].device_id):  # lock order: device id
            hb = a.envelope.payload
            assert isinstance(hb, DeviceHeartbeat)
            caches.append((dev.site_id, hb.hardware.get(HEARTBEAT_CACHE_KEY), a.envelope.sent_at))
            rows.append({
                "device_id": dev.device_id, "heartbeat_at": a.envelope.sent_at,
                "queue_depth": hb.queue_depth, "oldest_unsent_age_s": hb.oldest_unsent_age_s,
                "catalog_version": hb.catalog_version, "app_version": hb.app_version,
                "status": "backlog" if hb.queue_depth else "ok",
            })
        if not rows:
            return
        note_cache_versions(conn, caches, utcnow())
        stmt = _dialect_insert(conn, T_HEALTH)
        stmt = stmt.on_conflict_do_update(
            index_elements=[T_HEALTH.c.device_id],
            set_={k: stmt.excluded[k] for k in rows[0] if k != "device_id"},
            where=sa.or_(T_HEALTH.c.heartbeat_at.is_(None),
                         T_HEALTH.c.heartbeat_at < stmt.excluded.heartbeat_at),
        )
        conn.execute(stmt, rows)
        # The fleet's health summary (latest figures, 5-minute buckets), same transaction.
        note_heartbeats(conn, [Beat(dev.device_id, a.envelope.sent_at,
                                    a.envelope.payload_as(DeviceHeartbeat))
                               for a, dev in beats])

    @staticmethod
    def _dead_letter(rej: Rejected) -> Outcome:
        log.info("dead letter (%s) on %s: %s", rej.reason, rej.inbound.topic[:200], rej.detail)
        if rej.message_id is None or rej.device is None:
            return Outcome(None, rej.site, rej.device, "none", rej.reason)
        return Outcome(rej.message_id, rej.site, rej.device, "rejected",
                       ack_reason(rej.reason, rej.detail))

    @staticmethod
    def _insert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if conn.dialect.name == "postgresql" and table in _COPY_TABLES:
            _copy(conn, table, rows)
        else:
            conn.execute(table.insert(), rows)


_COPY_TABLES = frozenset({T_MESSAGE, T_ORDER, T_LINE, T_PAYMENT})


def _copy(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """COPY rows into a PostgreSQL table: the fastest bulk path (FIELD-NOTES: ~3x executemany)."""
    cols = list(rows[0])
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
        f'COPY "{table.name}" ({", ".join(cols)}) FROM STDIN'
    ) as copy:
        for row in rows:
            copy.write_row([row[c] for c in cols])


def _touch_devices(conn: Connection, latest: dict[int, Any]) -> None:
    """last_seen_at = GREATEST(last_seen_at, at) per device, in ascending id order."""
    col = T_DEVICE.c
    conn.execute(
        sa.update(T_DEVICE)
        .where(col.id == sa.bindparam("b_id"))
        .where(sa.or_(col.last_seen_at.is_(None), col.last_seen_at < sa.bindparam("b_at")))
        .values(last_seen_at=sa.bindparam("b_at")),
        [{"b_id": k, "b_at": latest[k]} for k in sorted(latest)],
    )


def _ids(item: Accepted | Rejected) -> tuple[str | None, str | None, str | None]:
    if isinstance(item, Rejected):
        return item.site, item.device, item.message_id
    env = item.envelope
    return env.site, env.device, env.message_id


def _select_in(conn: Connection, key: Any, others: list[Any], values: Iterable[str]) -> list[Any]:
    found: list[Any] = []
    for chunk in chunks(conn, list(values)):
        found.extend(conn.execute(sa.select(key, *others)
                                  .where(in_set(conn, key, chunk))).all())
    return found


def _dialect_insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _insert_ignore(conn: Connection, table: sa.Table) -> Any:
    return _dialect_insert(conn, table).on_conflict_do_nothing()


def _review_row(review: Review) -> dict[str, Any]:
    return {
        "kiosk_subtotal_cents": review.kiosk_subtotal_cents,
        "hub_subtotal_cents": review.hub_subtotal_cents,
        "kiosk_total_cents": review.kiosk_total_cents,
        "hub_total_cents": review.hub_total_cents,
        "detail": review.detail,
    }


def _conflict_row(a: Accepted, prior: str | None, reason: str, now: Any) -> dict[str, Any]:
    return {
        "message_id": a.envelope.message_id, "digest": a.digest, "stored_digest": prior,
        "reason": reason, "topic": a.inbound.topic[:300], "raw": a.inbound.raw[:MAX_KEPT_BYTES],
        "received_at": now,
    }


def _dead_row(rej: Rejected, now: Any) -> dict[str, Any]:
    return {
        "reason": rej.reason[:32], "detail": rej.detail[:1000], "topic": rej.inbound.topic[:300],
        "site_code": rej.site[:64] if rej.site else None,
        "device_code": rej.device[:64] if rej.device else None,
        "message_id": rej.message_id, "size_bytes": len(rej.inbound.raw),
        "raw": bytes(rej.inbound.raw[:MAX_KEPT_BYTES]), "received_at": now,
    }
