"""The outbox: rows waiting for the hub's acknowledgement, as the agent sees them."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from edge_agent.db import bump_counter

log = logging.getLogger(__name__)

DELIVERED_RESULTS = frozenset({"ok", "duplicate"})
DEAD_RESULTS = frozenset({"conflict", "rejected"})


@dataclass(frozen=True)
class OutboxRow:
    """One queued event: its encoded envelope and its delivery bookkeeping."""

    seq: int
    message_id: str
    kind: str
    topic: str
    body: bytes
    created_at: float
    attempts: int


@dataclass(frozen=True)
class AckOutcome:
    """What applying one batch of acknowledgements did."""

    deleted: int
    dead_lettered: int
    unknown: int


@dataclass(frozen=True)
class OutboxStats:
    """Queue figures for heartbeats."""

    depth: int
    oldest_created_at: float | None
    dead_letters: int
    last_dead_reason: str | None


@contextmanager
def write_txn(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def enqueue(
    conn: sqlite3.Connection, *, message_id: str, kind: str, topic: str, body: bytes
) -> None:
    """Insert one outbox row, due at once, inside the caller's open transaction.

    The outbox runs on the device's real clock (the agent compares with time.time()), never on
    the business clock that stamps the event: a kiosk whose clock is frozen or moved into the
    next meal period (the demo's diners at night) would otherwise hold its rows back for hours.
    """
    now = time.time()
    conn.execute(
        "INSERT INTO outbox (message_id, kind, topic, body, created_at, attempts, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?, 0, ?)",
        (message_id, kind, topic, body, now, now),
    )


class Outbox:
    """Agent-side operations on the outbox table of one store connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        ack_timeout: float = 30.0,
        max_retry_interval: float = 300.0,
    ) -> None:
        if ack_timeout <= 0 or max_retry_interval < ack_timeout:
            raise ValueError("need 0 < ack_timeout <= max_retry_interval")
        self.conn = conn
        self.ack_timeout = ack_timeout
        self.max_retry_interval = max_retry_interval

    def make_all_due(self, now: float | None = None) -> int:
        """After a restart nothing is in flight any more: every row is due now."""
        now = time.time() if now is None else now
        with write_txn(self.conn):
            cur = self.conn.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE next_attempt_at > ?", (now, now)
            )
        return cur.rowcount

    def due(
        self, limit: int, exclude: Iterable[str] = (), now: float | None = None
    ) -> list[OutboxRow]:
        """Up to limit rows whose next attempt is due, oldest first."""
        if limit <= 0:
            return []
        now = time.time() if now is None else now
        skip = set(exclude)
        rows: list[OutboxRow] = []
        # Fetch a little more than asked so rows already in flight can be skipped.
        cur = self.conn.execute(
            "SELECT seq, message_id, kind, topic, body, created_at, attempts FROM outbox"
            " WHERE next_attempt_at <= ? ORDER BY seq LIMIT ?",
            (now, limit + len(skip)),
        )
        for seq, mid, kind, topic, body, created, attempts in cur:
            if mid in skip:
                continue
            rows.append(OutboxRow(seq, mid, kind, topic, bytes(body), created, attempts))
            if len(rows) >= limit:
                break
        return rows

    def mark_sent(self, message_ids: Iterable[str], now: float | None = None) -> None:
        """Record a send attempt; the row is due again after the (growing) ack timeout."""
        now = time.time() if now is None else now
        params = [(now, now, self.ack_timeout, self.max_retry_interval, mid) for mid in message_ids]
        if not params:
            return
        with write_txn(self.conn):
            # Backoff doubles per attempt, capped, so a hub that is down for a
            # day is not flooded with the same window every ack_timeout.
            self.conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_sent_at = ?,"
                " next_attempt_at = ? + min(? * (1 << min(attempts, 16)), ?)"
                " WHERE message_id = ?",
                params,
            )

    def apply_acks(
        self, acks: Iterable[tuple[str, str, str | None]], now: float | None = None
    ) -> AckOutcome:
        """Apply (message_id, result, reason) acks in one transaction."""
        now = time.time() if now is None else now
        deleted = dead = unknown = 0
        with write_txn(self.conn):
            for mid, result, reason in acks:
                if result in DELIVERED_RESULTS:
                    n = self._delete(mid)
                    deleted += n
                    unknown += 1 - n
                elif result in DEAD_RESULTS:
                    n = self.conn.execute(
                        "INSERT OR IGNORE INTO dead_letter (seq, message_id, kind, topic, body,"
                        " created_at, attempts, result, reason, dead_at)"
                        " SELECT seq, message_id, kind, topic, body, created_at, attempts, ?, ?, ?"
                        " FROM outbox WHERE message_id = ?",
                        (result, reason or "", now, mid),
                    ).rowcount
                    self._delete(mid)
                    if n:
                        log.warning("outbox %s dead-lettered: %s (%s)", mid, result, reason)
                    dead += n
                    unknown += 1 - n
                else:
                    # protocol validates results; this guards a future value we
                    # do not understand: keep the row, it will be re-sent.
                    log.warning("ack for %s with unknown result %r kept the row", mid, result)
                    unknown += 1
            if deleted or dead:
                # "last sync" in heartbeats: when the hub last confirmed something.
                self.conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('last_sync_at', ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (repr(now),),
                )
            if deleted:
                bump_counter(self.conn, "acked", deleted)
            if dead:
                bump_counter(self.conn, "dead_lettered", dead)
            if unknown:
                bump_counter(self.conn, "acks_unknown", unknown)
        return AckOutcome(deleted, dead, unknown)

    def _delete(self, message_id: str) -> int:
        return self.conn.execute("DELETE FROM outbox WHERE message_id = ?", (message_id,)).rowcount

    def stats(self) -> OutboxStats:
        """Depth, oldest unsent time and dead letters, for the heartbeat."""
        depth, oldest = self.conn.execute("SELECT count(*), min(created_at) FROM outbox").fetchone()
        dead = self.conn.execute("SELECT count(*) FROM dead_letter").fetchone()[0]
        last = self.conn.execute(
            "SELECT result || ': ' || reason FROM dead_letter ORDER BY dead_at DESC LIMIT 1"
        ).fetchone()
        return OutboxStats(int(depth), oldest, int(dead), last[0] if last else None)
