"""SQLite connection and schema of the device-local store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from edge_agent.errors import StoreError

Synchronous = Literal["FULL", "NORMAL"]

SCHEMA_VERSION = 1

# One statement list, applied idempotently: a fresh device and an upgraded one
# end with the same tables.
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS orders (
        order_id     TEXT PRIMARY KEY,
        order_no     TEXT NOT NULL,
        business_day TEXT NOT NULL,
        placed_at    TEXT NOT NULL,
        total_cents  INTEGER NOT NULL CHECK (total_cents >= 0),
        member_id    TEXT,
        message_id   TEXT NOT NULL UNIQUE,
        payload      TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS order_lines (
        order_id          TEXT NOT NULL REFERENCES orders(order_id),
        line_no           INTEGER NOT NULL,
        item_id           TEXT NOT NULL,
        quantity          INTEGER NOT NULL CHECK (quantity > 0),
        unit_price_cents  INTEGER NOT NULL CHECK (unit_price_cents >= 0),
        PRIMARY KEY (order_id, line_no)
    )""",
    """CREATE TABLE IF NOT EXISTS feedback (
        message_id TEXT PRIMARY KEY,
        given_at   TEXT NOT NULL,
        payload    TEXT NOT NULL
    )""",
    # The daily order-number counter lives in the same file as the orders, so
    # a number is allocated in the order's own transaction and never reused.
    """CREATE TABLE IF NOT EXISTS order_counters (
        business_day TEXT PRIMARY KEY,
        last_no      INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS outbox (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id      TEXT NOT NULL UNIQUE,
        kind            TEXT NOT NULL,
        topic           TEXT NOT NULL,
        body            BLOB NOT NULL,
        created_at      REAL NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_sent_at    REAL
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at, seq)",
    """CREATE TABLE IF NOT EXISTS dead_letter (
        seq        INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        kind       TEXT NOT NULL,
        topic      TEXT NOT NULL,
        body       BLOB NOT NULL,
        created_at REAL NOT NULL,
        attempts   INTEGER NOT NULL,
        result     TEXT NOT NULL,
        reason     TEXT NOT NULL,
        dead_at    REAL NOT NULL
    )""",
    # One row per downlink kind: the last good version and its payload.
    """CREATE TABLE IF NOT EXISTS downlink_state (
        kind       TEXT PRIMARY KEY,
        version    INTEGER NOT NULL,
        payload    TEXT NOT NULL,
        applied_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS members (
        identifier_hash     TEXT PRIMARY KEY,
        member_id           TEXT NOT NULL,
        display_name        TEXT NOT NULL,
        tier                TEXT NOT NULL,
        balance_cents       INTEGER NOT NULL,
        subsidy_cents       INTEGER NOT NULL,
        points              INTEGER NOT NULL,
        offline_limit_cents INTEGER NOT NULL,
        profile             TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX IF NOT EXISTS members_by_id ON members (member_id)",
    """CREATE TABLE IF NOT EXISTS counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    # The site's portion counts (edge_agent.portions): the newest prepared total per meal
    # period and dish, and each device's latest sold counts as JSON {period: {dish: n}}.
    """CREATE TABLE IF NOT EXISTS portion_prepared (
        meal_period  TEXT NOT NULL,
        dish_id      TEXT NOT NULL,
        service_date TEXT NOT NULL,
        prepared     INTEGER NOT NULL,
        at           TEXT NOT NULL,
        PRIMARY KEY (meal_period, dish_id)
    )""",
    """CREATE TABLE IF NOT EXISTS portion_sold (
        device_id    TEXT PRIMARY KEY,
        service_date TEXT NOT NULL,
        counts       TEXT NOT NULL
    )""",
)


def connect(path: Path | str, *, synchronous: Synchronous = "FULL") -> sqlite3.Connection:
    """Open (and create if needed) the store at path in WAL mode."""
    if synchronous not in ("FULL", "NORMAL"):
        raise StoreError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a
        # transaction takes the write lock up front and never fails half-way
        # on a lock upgrade.
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in SCHEMA:
                conn.execute(stmt)
            _add_missing_columns(conn)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as err:
        raise StoreError(f"cannot open device store {path}: {err}") from err
    return conn


# Columns added after a table first shipped: CREATE TABLE IF NOT EXISTS does not add them.
ADDED_COLUMNS = (
    ("members", "profile", "TEXT NOT NULL DEFAULT '{}'"),
    # 1: a count this device set (a kitchen display's record) not yet on the site broker.
    ("portion_prepared", "unsent", "INTEGER NOT NULL DEFAULT 0"),
)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, column, decl in ADDED_COLUMNS:
        have = {str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def bump_counter(conn: sqlite3.Connection, name: str, by: int = 1) -> None:
    """Add to a named counter (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
        (name, by),
    )


def read_counters(conn: sqlite3.Connection) -> dict[str, int]:
    """All named counters."""
    return {str(n): int(v) for n, v in conn.execute("SELECT name, value FROM counters")}
