"""A durable print queue in a small SQLite file: each job printed once, reprints explicit."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from hardware.printer.receipt import Receipt

JobState = Literal["queued", "printing", "done", "failed"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS print_job (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_key TEXT NOT NULL UNIQUE,
    receipt_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'printing', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    printer TEXT,
    error TEXT,
    reprint_of INTEGER REFERENCES print_job(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS print_job_state ON print_job(state, id);
"""


class QueueError(Exception):
    """A job could not be added or changed; nothing was written."""


@dataclass(frozen=True)
class PrintJob:
    """One row of the queue."""

    id: int
    job_key: str
    receipt: Receipt
    state: JobState
    attempts: int
    printer: str | None
    error: str | None
    reprint_of: int | None


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class PrintQueue:
    """Jobs in states queued → printing → done (or failed); survives crashes and restarts."""

    def __init__(self, path: str | Path) -> None:
        """Open or create the file; synchronous=FULL so each state change survives power loss."""
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def enqueue(self, receipt: Receipt, job_key: str | None = None) -> int:
        """Queue a receipt once per key (default: its order id); a known key returns its job."""
        if not isinstance(receipt, Receipt):
            raise QueueError(f"expected a Receipt, got {type(receipt).__name__}")
        key = job_key or receipt.order_id
        with self._tx() as db:
            row = db.execute("SELECT id FROM print_job WHERE job_key = ?", (key,)).fetchone()
            if row:
                return int(row[0])
            cur = db.execute(
                "INSERT INTO print_job (job_key, receipt_json, state, created_at, updated_at)"
                " VALUES (?, ?, 'queued', ?, ?)",
                (key, receipt.model_dump_json(), _now(), _now()),
            )
            return int(cur.lastrowid or 0)

    def reprint(self, job_id: int) -> int:
        """Queue an explicit reprint of a job (marked REPRINT on paper); returns the new job id."""
        original = self.get(job_id)
        with self._tx() as db:
            n = db.execute(
                "SELECT COUNT(*) FROM print_job WHERE reprint_of = ?", (job_id,)
            ).fetchone()[0]
            receipt = original.receipt.model_copy(update={"reprint": True})
            cur = db.execute(
                "INSERT INTO print_job (job_key, receipt_json, state, reprint_of, created_at,"
                " updated_at) VALUES (?, ?, 'queued', ?, ?, ?)",
                (
                    f"{original.job_key}#reprint-{n + 1}",
                    receipt.model_dump_json(),
                    job_id,
                    _now(),
                    _now(),
                ),
            )
            return int(cur.lastrowid or 0)

    def get(self, job_id: int) -> PrintJob:
        """The job with this id (QueueError when unknown)."""
        row = self._db.execute(
            "SELECT id, job_key, receipt_json, state, attempts, printer, error, reprint_of"
            " FROM print_job WHERE id = ?",
            (job_id,),
        ).fetchone()
        if row is None:
            raise QueueError(f"no print job {job_id}")
        return self._job(row)

    def _job(self, row: tuple) -> PrintJob:
        try:
            receipt = Receipt.model_validate_json(row[2])
        except ValidationError as err:
            raise QueueError(f"print job {row[0]} holds an unreadable receipt") from err
        return PrintJob(row[0], row[1], receipt, row[3], row[4], row[5], row[6], row[7])

    def jobs(self, state: JobState) -> list[PrintJob]:
        """Jobs in one state, oldest first."""
        rows = self._db.execute(
            "SELECT id, job_key, receipt_json, state, attempts, printer, error, reprint_of"
            " FROM print_job WHERE state = ? ORDER BY id",
            (state,),
        ).fetchall()
        return [self._job(r) for r in rows]

    def last_original(self, skip_key_prefix: str = "") -> PrintJob | None:
        """The newest printed (or failed) job that is not a reprint, or None.

        ``skip_key_prefix`` leaves out jobs whose key starts with it (a kiosk's test pages).
        """
        rows = self._db.execute(
            "SELECT id, job_key, receipt_json, state, attempts, printer, error, reprint_of"
            " FROM print_job WHERE reprint_of IS NULL AND state IN ('done', 'failed')"
            " AND (? = '' OR substr(job_key, 1, length(?)) != ?) ORDER BY id DESC LIMIT 1",
            (skip_key_prefix, skip_key_prefix, skip_key_prefix),
        ).fetchall()
        return self._job(rows[0]) if rows else None

    def next_queued(self) -> PrintJob | None:
        """The oldest queued job, or None."""
        jobs = self._db.execute(
            "SELECT id, job_key, receipt_json, state, attempts, printer, error, reprint_of"
            " FROM print_job WHERE state = 'queued' ORDER BY id LIMIT 1"
        ).fetchall()
        return self._job(jobs[0]) if jobs else None

    def mark_printing(self, job_id: int, printer: str) -> None:
        """queued → printing, committed before a byte goes out."""
        self._move(job_id, "queued", "printing", printer=printer, attempt=True)

    def mark_done(self, job_id: int) -> None:
        """printing → done."""
        self._move(job_id, "printing", "done")

    def mark_queued(self, job_id: int, error: str) -> None:
        """printing → queued: the printer reported it did not finish; print again later."""
        self._move(job_id, "printing", "queued", error=error)

    def mark_failed(self, job_id: int, error: str) -> None:
        """printing → failed: outcome unknown; only an explicit reprint prints it again."""
        self._move(job_id, "printing", "failed", error=error)

    def _move(
        self,
        job_id: int,
        src: JobState,
        dst: JobState,
        *,
        printer: str | None = None,
        error: str | None = None,
        attempt: bool = False,
    ) -> None:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE print_job SET state = ?, printer = COALESCE(?, printer), error = ?,"
                " attempts = attempts + ?, updated_at = ? WHERE id = ? AND state = ?",
                (dst, printer, error, int(attempt), _now(), job_id, src),
            )
            if cur.rowcount != 1:
                raise QueueError(f"print job {job_id} is not {src}")
