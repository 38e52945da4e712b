"""Remote commands on the device: check, dispatch, answer through the outbox.

A ``device.command`` is run only when it is addressed to this device (the payload's
``device``, not just the topic it came on) and has not expired by this device's clock;
otherwise the answer is ``refused`` or ``expired``. Each command id is run at most once
(a QoS 1 re-delivery is ignored). The answer is a ``device.command_result`` queued in the
outbox like any event, so it reaches the hub after a reconnect or a restart.

Handlers run here (restart, refresh the catalog, upload logs) or are handed to the kiosk
app through the shared store (print a test page, reprint the last receipt, open the
diagnostics screen): the agent writes ``kiosk.request.<id>`` and the kiosk answers in
``kiosk.result.<id>``; a request the kiosk has not answered by the expiry is answered
``expired`` by the agent.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from edge_agent import db
from edge_agent.outbox import enqueue, write_txn
from protocol.codec import encode, parse
from protocol.envelope import make_envelope
from protocol.errors import ProtocolError
from protocol.payloads.command import MAX_LOG_BYTES, DeviceCommand

log = logging.getLogger(__name__)

KIOSK_REQUEST = "kiosk.request."
KIOSK_RESULT = "kiosk.result."
DONE_KEY = "cmd.done."
KIOSK_COMMANDS = frozenset({"reprint_last_receipt", "print_test_page", "open_diagnostics"})
KEEP_DONE = 200  # command ids remembered against re-delivery


class LogRing(logging.Handler):
    """The last log lines of this process, for ``upload_logs`` (no log file needed)."""

    def __init__(self, lines: int = 2000) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=lines)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Keep one formatted line."""
        try:
            self.lines.append(self.format(record))
        except Exception:  # a logging handler must never raise into the caller
            self.handleError(record)

    def tail(self, max_bytes: int = MAX_LOG_BYTES) -> str:
        """The newest lines that fit in ``max_bytes`` of UTF-8, oldest first."""
        out: list[str] = []
        size = 0
        for line in reversed(self.lines):
            clean = "".join(c if c in "\t" or c.isprintable() else "?" for c in line)
            n = len(clean.encode("utf-8")) + 1
            if size + n > max_bytes:
                break
            out.append(clean)
            size += n
        return "\n".join(reversed(out))


@dataclass(frozen=True)
class Outcome:
    """What a handler reports: status (ok / failed), a short detail, optional output."""

    status: str
    detail: str | None = None
    output: str | None = None


Handler = Callable[[DeviceCommand], Outcome]


class CommandRunner:
    """Runs the commands of one device; ``handle`` for each message, ``poll`` every round."""

    def __init__(self, conn: sqlite3.Connection, *, site_id: str, device_id: str,
                 handlers: dict[str, Handler], clock: Callable[[], datetime] | None = None
                 ) -> None:
        self.conn = conn
        self.site_id = site_id
        self.device_id = device_id
        self.handlers = handlers
        self.clock = clock or (lambda: datetime.now(UTC))
        self.results: list[tuple[str, str]] = []  # (command id, status), for tests and logs

    # ---- incoming --------------------------------------------------------------

    def handle(self, topic: str, raw: bytes) -> str:
        """Check and run one command message; returns the status answered ("" if none)."""
        try:
            env = parse(raw, topic=topic)
            cmd = env.payload_as(DeviceCommand)
        except ProtocolError as err:
            log.warning("command refused: %s", err)
            with write_txn(self.conn):
                db.bump_counter(self.conn, "refused.command")
            return ""  # no trustworthy command id to answer
        if self._done(cmd.command_id):
            return ""
        now = self.clock()
        if cmd.device != self.device_id or env.site != self.site_id:
            log.warning("command %s for %s/%s refused: this is %s/%s", cmd.command_id,
                        env.site, cmd.device, self.site_id, self.device_id)
            return self.answer(cmd, Outcome("refused", "not addressed to this device"))
        if cmd.expires_at <= now:
            return self.answer(cmd, Outcome("expired", f"expired at {cmd.expires_at:%H:%M:%S}"
                                            " UTC before it arrived"))
        if cmd.name in KIOSK_COMMANDS:
            self._to_kiosk(cmd)
            return "queued"
        handler = self.handlers.get(cmd.name)
        if handler is None:
            return self.answer(cmd, Outcome("refused", f"{cmd.name} is not supported here"))
        try:
            outcome = handler(cmd)
        except Exception as err:  # a failing handler is an answer, never a dead agent
            log.exception("command %s failed", cmd.name)
            outcome = Outcome("failed", f"{type(err).__name__}: {err}"[:200])
        return self.answer(cmd, outcome)

    def _to_kiosk(self, cmd: DeviceCommand) -> None:
        with write_txn(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (KIOSK_REQUEST + cmd.command_id, cmd.model_dump_json()))
            self._mark_done(cmd.command_id)

    # ---- answers ---------------------------------------------------------------

    def answer(self, cmd: DeviceCommand, outcome: Outcome) -> str:
        """Queue the result in the outbox (one transaction with the 'done' mark)."""
        output = outcome.output
        if output is not None:
            output = output.encode("utf-8")[:MAX_LOG_BYTES].decode("utf-8", errors="ignore")
        env = make_envelope("device.command_result", {
            "command_id": cmd.command_id, "name": cmd.name, "status": outcome.status,
            "detail": (outcome.detail or None) and outcome.detail[:200], "output": output,
            "finished_at": self.clock(),
        }, site=self.site_id, device=self.device_id)
        with write_txn(self.conn):
            enqueue(self.conn, message_id=env.message_id, kind=env.type, topic=env.topic(),
                    body=encode(env))
            self._mark_done(cmd.command_id)
            db.bump_counter(self.conn, f"command.{outcome.status}")
        self.results.append((cmd.command_id, outcome.status))
        log.info("command %s %s: %s %s", cmd.name, cmd.command_id, outcome.status,
                 outcome.detail or "")
        return outcome.status

    def poll(self) -> int:
        """Answer what the kiosk finished, and expire what it did not; returns answers sent."""
        rows = self.conn.execute(
            "SELECT key, value FROM meta WHERE key >= ? AND key < ?",
            (KIOSK_REQUEST, KIOSK_REQUEST[:-1] + "/")).fetchall()
        if not rows:
            return 0
        sent = 0
        now = self.clock()
        for key, value in rows:
            command_id = key[len(KIOSK_REQUEST):]
            cmd = DeviceCommand.model_validate_json(value)
            result = self.conn.execute("SELECT value FROM meta WHERE key = ?",
                                       (KIOSK_RESULT + command_id,)).fetchone()
            if result is not None:
                try:
                    data: dict[str, Any] = json.loads(result[0])
                    outcome = Outcome(str(data.get("status", "failed")),
                                      str(data.get("detail") or "")[:200] or None)
                except (ValueError, AttributeError):
                    outcome = Outcome("failed", "unreadable answer from the kiosk")
                if outcome.status not in ("ok", "failed"):
                    outcome = Outcome("failed", outcome.detail)
            elif cmd.expires_at <= now:
                outcome = Outcome("expired", "the kiosk app did not run it before it expired")
            else:
                continue
            self.answer(cmd, outcome)
            with write_txn(self.conn):
                self.conn.execute("DELETE FROM meta WHERE key IN (?, ?)",
                                  (KIOSK_REQUEST + command_id, KIOSK_RESULT + command_id))
            sent += 1
        return sent

    # ---- once only -------------------------------------------------------------

    def _done(self, command_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM meta WHERE key = ?",
                                 (DONE_KEY + command_id,)).fetchone() is not None

    def _mark_done(self, command_id: str) -> None:
        """Inside the caller's transaction: remember this id (and forget the oldest)."""
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                          (DONE_KEY + command_id, str(time.time())))
        self.conn.execute(
            "DELETE FROM meta WHERE key IN (SELECT key FROM meta WHERE key >= ? AND key < ?"
            " ORDER BY CAST(value AS REAL) DESC LIMIT -1 OFFSET ?)",
            (DONE_KEY, DONE_KEY[:-1] + "/", KEEP_DONE))


def kiosk_requests(conn: sqlite3.Connection) -> list[DeviceCommand]:
    """Commands waiting for the kiosk app (it calls this every second or so)."""
    rows = conn.execute("SELECT key, value FROM meta WHERE key >= ? AND key < ?",
                        (KIOSK_REQUEST, KIOSK_REQUEST[:-1] + "/")).fetchall()
    done = {k for (k,) in conn.execute("SELECT key FROM meta WHERE key >= ? AND key < ?",
                                       (KIOSK_RESULT, KIOSK_RESULT[:-1] + "/"))}
    out = []
    for key, value in rows:
        if KIOSK_RESULT + key[len(KIOSK_REQUEST):] in done:
            continue
        try:
            out.append(DeviceCommand.model_validate_json(value))
        except ValueError:
            log.warning("unreadable kiosk request %s", key)
    return out


def answer_kiosk_request(conn: sqlite3.Connection, command_id: str, *, ok: bool,
                         detail: str = "") -> None:
    """The kiosk app's answer to one request (the agent sends it on)."""
    with write_txn(conn):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     (KIOSK_RESULT + command_id,
                      json.dumps({"status": "ok" if ok else "failed", "detail": detail[:200]})))
