"""The one call site through which identity, coupon and import changes reach the audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from hub.accounts.audit import record_audit
from hub.db_types import utcnow


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    member_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Record a change to personal data or money in the caller's transaction (part A's log)."""
    record_audit(
        session,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        at=utcnow(),
        member_id=member_id,
        before=before,
        after=after,
        note=note,
    )
