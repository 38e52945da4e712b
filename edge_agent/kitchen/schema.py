"""Tables the kitchen display and pickup board add to their device store, and the event writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from edge_agent import db
from edge_agent.outbox import enqueue
from protocol.codec import encode
from protocol.envelope import make_envelope
from protocol.payloads.kitchen import OrderStateChanged

STATE_TYPE = "order.state"
Clock = Callable[[], datetime]

SCHEMA = (
    # One row per (order, station): the primary key is what makes a redelivered
    # order.placed (broker restart, KDS restart, outbox re-send) a no-op.
    """CREATE TABLE IF NOT EXISTS kitchen_ticket (
        order_id    TEXT NOT NULL,
        station     TEXT NOT NULL,
        order_no    TEXT NOT NULL,
        placed_at   TEXT NOT NULL,
        stations    TEXT NOT NULL,
        items       TEXT NOT NULL,
        flags       TEXT NOT NULL,
        bumped_at   TEXT,
        bump_seq    INTEGER,
        cancelled   INTEGER NOT NULL DEFAULT 0,
        received_at REAL NOT NULL,
        changed_at  TEXT,
        PRIMARY KEY (order_id, station)
    )""",
    "CREATE INDEX IF NOT EXISTS kitchen_ticket_open ON kitchen_ticket (bumped_at, placed_at)",
    # A bump or recall from another display for a ticket not here yet (its
    # order.placed comes later): applied when the ticket arrives, latest only.
    """CREATE TABLE IF NOT EXISTS kitchen_remote (
        order_id TEXT NOT NULL,
        station  TEXT NOT NULL,
        state    TEXT NOT NULL,
        at       TEXT NOT NULL,
        PRIMARY KEY (order_id, station)
    )""",
    """CREATE TABLE IF NOT EXISTS kitchen_action (
        seq      INTEGER PRIMARY KEY AUTOINCREMENT,
        action   TEXT NOT NULL,
        order_id TEXT NOT NULL,
        station  TEXT NOT NULL,
        line_no  INTEGER,
        undone   INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS pickup_order (
        order_id     TEXT PRIMARY KEY,
        order_no     TEXT NOT NULL,
        placed_at    TEXT NOT NULL,
        stations     TEXT NOT NULL,
        state        TEXT NOT NULL DEFAULT 'placed',
        ready_at     TEXT,
        collected_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS pickup_order_state ON pickup_order (state, ready_at)",
    # Keyed on the message id: a re-sent event is stored once; the fold reads them all.
    """CREATE TABLE IF NOT EXISTS pickup_event (
        message_id TEXT PRIMARY KEY,
        order_id   TEXT NOT NULL,
        payload    TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS pickup_event_order ON pickup_event (order_id)",
)


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def open_store(path: Path | str) -> sqlite3.Connection:
    """The device store (created if needed) with the kitchen tables added."""
    conn = db.connect(path, synchronous="FULL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for stmt in SCHEMA:
            conn.execute(stmt)
        _add_missing_columns(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return conn


# Columns added after a table first shipped: (table, column, declaration).
ADDED_COLUMNS = (
    # When a cook (here or on another display of the station) last bumped or
    # recalled the ticket: a state event from elsewhere applies only if later.
    ("kitchen_ticket", "changed_at", "TEXT"),
)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, column, decl in ADDED_COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def emit_state(
    conn: sqlite3.Connection, event: OrderStateChanged, *, site: str, device: str, now: datetime
) -> str:
    """Queue an order.state event in the outbox inside the caller's transaction; its id."""
    env = make_envelope(STATE_TYPE, event, site=site, device=device, sent_at=now)
    enqueue(conn, message_id=env.message_id, kind=STATE_TYPE, topic=env.topic(),
            body=encode(env))
    return env.message_id
