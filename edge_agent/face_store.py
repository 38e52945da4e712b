"""The device's face templates: kept sealed, changed only by the member-cache downlink.

Templates arrive sealed in ``member.delta`` (``CachedMember.face``) and stay sealed here:
the key is derived from the site key, which lives in a file beside the database, so a
copied database alone opens nothing (encrypted at rest). ``apply_member_delta`` runs in
the same transaction as the member cache, so a member whose consent was withdrawn, or
who was erased, loses the template on this device in the very commit that changes
their cache row. Enrolments go up through the outbox like every other event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from edge_agent.errors import StoreError
from edge_agent.outbox import enqueue, write_txn
from protocol import encode, make_envelope
from protocol.face import FaceEnrolled
from protocol.member_cache import MemberCacheDelta

ENROLLED_TYPE = "face.enrolled"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS face_templates (
        member_id       TEXT PRIMARY KEY,
        identifier_hash TEXT NOT NULL,
        template_id     TEXT NOT NULL,
        model           TEXT NOT NULL,
        sealed          TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS face_by_identifier ON face_templates (identifier_hash)",
)


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """A member's sealed template as the device holds it."""

    member_id: str
    identifier_hash: str
    template_id: str
    model: str
    sealed: str


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the table (idempotent; the agent and the kiosk share the database)."""
    for stmt in SCHEMA:
        conn.execute(stmt)


def apply_member_delta(conn: sqlite3.Connection, delta: MemberCacheDelta) -> None:
    """Mirror a member-cache delta into the template table (call inside its transaction).

    A full snapshot replaces every template; a removed identifier takes its template
    with it; an upserted member row without ``face`` (consent withdrawn) drops it.
    """
    ensure_schema(conn)
    if delta.full:
        conn.execute("DELETE FROM face_templates")
    conn.executemany("DELETE FROM face_templates WHERE identifier_hash = ?",
                     [(h,) for h in delta.removals])
    for m in delta.upserts:
        if m.face is not None:
            conn.execute(
                "INSERT OR REPLACE INTO face_templates (member_id, identifier_hash, template_id,"
                " model, sealed) VALUES (?, ?, ?, ?, ?)",
                (m.member_id, m.identifier_hash, m.face.template_id, m.face.model,
                 m.face.sealed))
        else:
            # only the row that carried the template speaks for it (cards carry none)
            conn.execute("DELETE FROM face_templates WHERE identifier_hash = ?",
                         (m.identifier_hash,))


def load_templates(conn: sqlite3.Connection, model: str | None = None) -> list[StoredTemplate]:
    """Every sealed template (of ``model`` when given), by member id."""
    ensure_schema(conn)
    sql = "SELECT member_id, identifier_hash, template_id, model, sealed FROM face_templates"
    rows: Iterable[tuple[str, str, str, str, str]]
    if model is None:
        rows = conn.execute(sql + " ORDER BY member_id")
    else:
        rows = conn.execute(sql + " WHERE model = ? ORDER BY member_id", (model,))
    return [StoredTemplate(*r) for r in rows]


def template_of(conn: sqlite3.Connection, member_id: str) -> StoredTemplate | None:
    """The member's template on this device, or None."""
    ensure_schema(conn)
    row = conn.execute("SELECT member_id, identifier_hash, template_id, model, sealed"
                       " FROM face_templates WHERE member_id = ?", (member_id,)).fetchone()
    return None if row is None else StoredTemplate(*row)


def record_enrolment(conn: sqlite3.Connection, enrolment: FaceEnrolled, *, site: str,
                     device: str, now: datetime | None = None) -> str:
    """Queue a ``face.enrolled`` event for the hub; its message id.

    The template is not added to the local table: the hub decides (consent, member
    still entitled) and it comes back with the member cache, like every template.
    """
    envelope = make_envelope(ENROLLED_TYPE, enrolment, site=site, device=device,
                             sent_at=now or datetime.now(UTC))
    try:
        with write_txn(conn):
            enqueue(conn, message_id=envelope.message_id, kind=ENROLLED_TYPE,
                    topic=envelope.topic(), body=encode(envelope))
    except sqlite3.Error as err:
        raise StoreError(f"face enrolment not queued: {err}") from err
    return envelope.message_id
