"""The one audit-log helper: write (in the caller's transaction) and list who changed what.

Every change of personal data, money, money rules, prices and roles goes through
``record_audit``, whichever domain makes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from hub.db_types import utcnow
from hub.identity.masking import mask_name
from hub.models.audit import AuditLog

# Personal values never reach the audit log in clear: it outlives an erasure.
PERSONAL_FIELDS = frozenset({"name", "phone", "birthday", "allergens", "dietary_preferences"})
# Columns a snapshot leaves out: keys and timestamps say nothing the record does not.
NOT_SNAPSHOT = frozenset({"id", "created_at", "updated_at"})
# Nor secrets: password and credential hashes, ciphertexts.
SECRET_SUFFIXES = ("_hash", "_encrypted")
# Who changed something when no person did (seeding, a CLI without --actor, a test).
SYSTEM_ACTOR = "system"


def mask_phone(phone: str) -> str:
    """``13812345678 -> 138****5678``: enough for an auditor to match, not to call."""
    if len(phone) <= 7:
        return phone[:2] + "*" * max(len(phone) - 2, 0)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_personal(field: str, value: Any) -> Any:
    """A field's value as the audit log may keep it (personal values masked, others as is)."""
    if value is None or field not in PERSONAL_FIELDS:
        return value.isoformat() if hasattr(value, "isoformat") else value
    if field == "phone":
        return mask_phone(str(value))
    if field == "name":
        return mask_name(str(value))
    if field == "birthday":
        return "****-**-**"
    return f"<{len(value)} items>" if isinstance(value, list) else "***"


def row_dict(row: Any, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A table row's columns as JSON-safe values, for before/after snapshots."""
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.name in exclude:
            continue
        value = getattr(row, column.name)
        out[column.name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def snapshot(row: Any, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A row's audited fields for before/after: no key, timestamps, hashes or ciphertexts."""
    secrets = {c.name for c in row.__table__.columns if c.name.endswith(SECRET_SUFFIXES)}
    return row_dict(row, exclude=NOT_SNAPSHOT | secrets | exclude)


def record_change(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime | None = None,
    member_id: int | None = None,
    note: str | None = None,
) -> AuditLog | None:
    """Audit a row's change with only the fields that changed; nothing when none did.

    ``before=None`` records a creation and ``after=None`` a deletion, each in full. Used by
    every service that changes money rules, prices or roles, and by the admin pages' hooks.
    """
    if before is not None and after is not None:
        keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        if not keys and note is None:
            return None
        before = {k: before.get(k) for k in keys}
        after = {k: after.get(k) for k in keys}
    return record_audit(session, actor=actor, action=action, entity=entity,
                        entity_id=entity_id, at=at, member_id=member_id, before=before,
                        after=after, note=note)


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    at: datetime | None = None,
    member_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditLog:
    """Add one audit record to the session (no commit: it belongs to the change it records).

    ``at`` defaults to now; pass the change's own time when the service has one.
    """
    row = AuditLog(
        at=utcnow() if at is None else at,
        actor=actor[:64],
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        member_id=member_id,
        before=before,
        after=after,
        note=None if note is None else note[:200],
    )
    session.add(row)
    return row


def list_audit(
    session: Session,
    *,
    entity: str | None = None,
    member_id: int | None = None,
    actor: str | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[AuditLog], int]:
    """A page of audit records, newest first, filtered."""
    stmt = select(AuditLog)
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    if member_id is not None:
        stmt = stmt.where(AuditLog.member_id == member_id)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(col(AuditLog.id).desc()).limit(limit).offset(offset)).all()
    return rows, int(total)
