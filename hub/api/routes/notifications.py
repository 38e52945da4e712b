"""/notifications: the outbox and the delivery log, read-only (managers and admins).

Notifications are queued by the hub's own producers and delivered by
`canteen-hub notify dispatch`; nothing here changes them. No e-mail address or phone
number is returned: the rows carry the member's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import Session

from hub.api.deps import EDITORS, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath, IdQuery
from hub.errors import NotFoundError
from hub.models.notify import Delivery, Outbox
from hub.notify import service as svc

router = APIRouter(prefix="/notifications", tags=["notifications"],
                   dependencies=[require_role(*EDITORS)])

State = Literal["queued", "sent", "failed", "suppressed"]
Kind = Literal["birthday", "winback", "complaint_resolved", "booking_reminder", "low_balance"]
Outcome = Literal["sent", "retry", "failed", "deferred", "suppressed"]


class OutboxOut(BaseModel):
    """A notification on one channel: what it says, its state and retry schedule."""

    id: int
    member_id: int
    site_id: int | None
    kind: str
    channel: str
    language: str
    marketing: bool
    subject: str
    body: str
    state: str
    reason: str | None
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


class DeliveryOut(BaseModel):
    """One line of the delivery log."""

    id: int
    outbox_id: int
    attempt: int
    channel: str
    outcome: str
    detail: str
    at: datetime


class OutboxDetailOut(BaseModel):
    """A notification with its delivery log, oldest line first."""

    notification: OutboxOut
    deliveries: list[DeliveryOut]


def _out(row: Outbox) -> OutboxOut:
    return OutboxOut.model_validate(row, from_attributes=True)


def _delivery(row: Delivery) -> DeliveryOut:
    return DeliveryOut.model_validate(row, from_attributes=True)


@router.get("/outbox", response_model=Page[OutboxOut])
def list_outbox(session: SessionDep, page: PageDep, state: State | None = None,
                kind: Kind | None = None, member_id: IdQuery = None) -> Page[OutboxOut]:
    """The outbox, newest first; filter by state, kind and member."""
    rows, total = svc.list_outbox(session, state=state, kind=kind, member_id=member_id,
                                  limit=page.limit, offset=page.offset)
    return Page(items=[_out(r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/outbox/{outbox_id}", response_model=OutboxDetailOut)
def get_notification(session: SessionDep, outbox_id: IdPath) -> OutboxDetailOut:
    """One notification and every attempt and decision in its delivery log."""
    row = _get(session, outbox_id)
    lines, _ = svc.list_deliveries(session, outbox_ids=[outbox_id], limit=1000)
    return OutboxDetailOut(notification=_out(row),
                           deliveries=[_delivery(d) for d in reversed(lines)])


@router.get("/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(session: SessionDep, page: PageDep,
                    outcome: Outcome | None = None) -> Page[DeliveryOut]:
    """The delivery log, newest first; filter by outcome."""
    rows, total = svc.list_deliveries(session, outcome=outcome, limit=page.limit,
                                      offset=page.offset)
    return Page(items=[_delivery(r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


def _get(session: Session, outbox_id: int) -> Outbox:
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFoundError(f"notification {outbox_id} not found")
    return row
