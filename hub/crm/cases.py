"""Complaint cases (投诉处理): opening from feedback, SLA clock, assignment, notes, resolution.

A case opens from feedback (``hub.crm.cases_ingest``) when the order or one of its dishes
is rated 2 or less, or a complaint tag is given. Its priority sets the SLA clock: the case
is due ``SLA[priority]`` after it opened and is *overdue* while unresolved past that. The
resolution may carry a follow-up to the member, shown by the kiosk at their next visit
(a ``follow_up`` member message in the member cache downlink).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from hub.accounts.audit import record_audit
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.crm_campaigns import MemberMessage
from hub.models.crm_cases import CaseNote, ComplaintCase
from hub.models.members import Member
from hub.models.orders import Order
from hub.models.sites import Site
from hub.models.users import Role, User

LOW_RATING = 2  # a rating at or below this opens a case
# Tags that open a case whatever the stars say; the first two are health and safety.
URGENT_TAGS = frozenset({"foreign_object", "not_clean"})
COMPLAINT_TAGS = URGENT_TAGS | {"wrong_dish"}
PRIORITIES = ("urgent", "high", "normal")
SLA: dict[str, timedelta] = {
    "urgent": timedelta(hours=4),
    "high": timedelta(hours=24),
    "normal": timedelta(hours=72),
}
STATUSES = ("open", "assigned", "resolved")
HANDLERS = (Role.ADMIN, Role.MANAGER, Role.CASHIER)  # who may be assigned a case
FOLLOW_UP_DAYS = 30  # a follow-up waits this long for the member's next visit
MAX_TEXT = 1000
MAX_FOLLOW_UP = 200


def case_priority(rating: int, tags: Iterable[str], dish_ratings: Iterable[int] = ()) -> str | None:
    """The priority of the case this feedback opens, or None when it opens none."""
    tags = set(tags)
    lowest = min([rating, *dish_ratings])
    if tags & URGENT_TAGS:
        return "urgent"
    if lowest <= 1 or tags & COMPLAINT_TAGS:
        return "high"
    if lowest <= LOW_RATING:
        return "normal"
    return None


def is_overdue(case: ComplaintCase, now: datetime) -> bool:
    """Unresolved past its SLA due time."""
    return case.resolved_at is None and now > case.due_at


@dataclass(frozen=True)
class CaseRow:
    """A case as the queue lists it."""

    id: int
    opened_at: datetime
    due_at: datetime
    priority: str
    status: str
    overdue: bool
    site: str
    order_id: str
    order_no: str
    member_no: str | None
    rating: int
    tags: list[str]
    dishes: list[str]
    comment: str
    assigned_to: str | None


@dataclass(frozen=True)
class CaseDetail:
    """One case with its history and the follow-up's delivery."""

    row: CaseRow
    member_name: str | None
    resolution: str
    resolved_at: datetime | None
    resolved_by: str | None
    follow_up_zh: str
    follow_up_en: str
    follow_up_delivered_at: datetime | None
    notes: list[CaseNote]


def _usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.username for u in session.exec(select(User).where(col(User.id).in_(ids)))
            if u.id is not None}


def _rows(session: Session, cases: Sequence[ComplaintCase], now: datetime) -> list[CaseRow]:
    sites = {s.id: s.code for s in session.exec(
        select(Site).where(col(Site.id).in_({c.site_id for c in cases})))}
    orders = dict(session.exec(select(Order.id, Order.order_no).where(
        col(Order.id).in_({c.order_id for c in cases}))).all())
    members = dict(session.exec(select(Member.id, Member.member_no).where(
        col(Member.id).in_({c.member_id for c in cases if c.member_id}))).all())
    users = _usernames(session, {c.assigned_to for c in cases if c.assigned_to})
    return [
        CaseRow(
            id=c.id or 0, opened_at=c.opened_at, due_at=c.due_at, priority=c.priority,
            status=c.status, overdue=is_overdue(c, now), site=sites.get(c.site_id, "?"),
            order_id=c.order_id, order_no=orders.get(c.order_id, ""),
            member_no=members.get(c.member_id) if c.member_id else None,
            rating=c.rating, tags=list(c.tags), dishes=list(c.dishes), comment=c.comment,
            assigned_to=users.get(c.assigned_to) if c.assigned_to else None,
        )
        for c in cases
    ]


def list_cases(
    session: Session, *, status: str | None = None, overdue_only: bool = False,
    assigned_to: int | None = None, member_id: int | None = None, limit: int = 50,
    offset: int = 0, now: datetime | None = None,
) -> tuple[list[CaseRow], int]:
    """The queue: unresolved first, most urgent and oldest due first; and the total count."""
    now = now or utcnow()
    if status is not None and status not in STATUSES:
        raise InvalidInputError(f"status must be one of {', '.join(STATUSES)}", field="status")
    q = select(ComplaintCase)
    if status:
        q = q.where(ComplaintCase.status == status)
    if overdue_only:
        q = q.where(col(ComplaintCase.resolved_at).is_(None), ComplaintCase.due_at < now)
    if assigned_to is not None:
        q = q.where(ComplaintCase.assigned_to == assigned_to)
    if member_id is not None:
        q = q.where(ComplaintCase.member_id == member_id)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    resolved_last = sa.case((col(ComplaintCase.resolved_at).is_(None), 0), else_=1)
    cases = session.exec(q.order_by(resolved_last, col(ComplaintCase.due_at),
                                    col(ComplaintCase.id)).limit(limit).offset(offset)).all()
    return _rows(session, cases, now), int(total)


def _case(session: Session, case_id: int) -> ComplaintCase:
    case = session.get(ComplaintCase, case_id)
    if case is None:
        raise NotFoundError(f"case {case_id} not found")
    return case


def case_detail(session: Session, case_id: int, *, now: datetime | None = None) -> CaseDetail:
    """One case, its notes (oldest first) and whether its follow-up reached the member."""
    case = _case(session, case_id)
    row = _rows(session, [case], now or utcnow())[0]
    member = session.get(Member, case.member_id) if case.member_id else None
    notes = list(session.exec(select(CaseNote).where(CaseNote.case_id == case_id)
                              .order_by(col(CaseNote.id))).all())
    message = session.exec(select(MemberMessage).where(MemberMessage.case_id == case_id,
                                                       MemberMessage.kind == "follow_up")).first()
    users = _usernames(session, {case.resolved_by} if case.resolved_by else set())
    return CaseDetail(
        row=row, member_name=member.name if member else None, resolution=case.resolution,
        resolved_at=case.resolved_at,
        resolved_by=users.get(case.resolved_by) if case.resolved_by else None,
        follow_up_zh=case.follow_up_zh, follow_up_en=case.follow_up_en,
        follow_up_delivered_at=message.delivered_at if message else None, notes=notes,
    )


def _text(value: str, field: str, limit: int, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInputError(f"{field} must not be blank", field=field)
    if len(text) > limit:
        raise InvalidInputError(f"{field} is longer than {limit} characters", field=field)
    return text


def assign_case(session: Session, *, case_id: int, user_id: int, actor: str,
                now: datetime | None = None) -> ComplaintCase:
    """Give the case to a staff member (admin, manager or cashier); committed."""
    now = now or utcnow()
    case = _case(session, case_id)
    if case.resolved_at is not None:
        raise ConflictError("the case is resolved; it cannot be reassigned")
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in HANDLERS:
        raise InvalidInputError("no active staff member with this id may handle cases",
                                field="user_id")
    case.assigned_to, case.assigned_at, case.status = user_id, now, "assigned"
    session.add(case)
    session.add(CaseNote(case_id=case_id, kind="assign", body=user.username, author=actor,
                         created_at=now))
    record_audit(session, actor=actor, action="crm.case.assign", entity="crm_case",
                 entity_id=case_id, at=now, member_id=case.member_id,
                 after={"assigned_to": user.username})
    session.commit()
    session.refresh(case)
    return case


def add_note(session: Session, *, case_id: int, body: str, actor: str,
             now: datetime | None = None) -> CaseNote:
    """A note on the case's history; committed."""
    text = _text(body, "body", MAX_TEXT, required=True)
    _case(session, case_id)
    note = CaseNote(case_id=case_id, kind="note", body=text, author=actor,
                    created_at=now or utcnow())
    session.add(note)
    session.commit()
    session.refresh(note)
    return note


def resolve_case(
    session: Session, *, case_id: int, resolution: str, follow_up_zh: str = "",
    follow_up_en: str = "", actor: str, actor_id: int | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """Close the case with its resolution; a follow-up (both languages, or neither) waits for
    the member's next kiosk visit. Committed; the thank-you automation runs if switched on."""
    from hub.crm.automations import thank_after_resolution  # automations import cases
    from hub.notify.producers import complaint_resolved as notify_resolved

    now = now or utcnow()
    text = _text(resolution, "resolution", MAX_TEXT, required=True)
    zh = _text(follow_up_zh, "follow_up_zh", MAX_FOLLOW_UP, required=False)
    en = _text(follow_up_en, "follow_up_en", MAX_FOLLOW_UP, required=False)
    if bool(zh) != bool(en):
        raise InvalidInputError("give the follow-up in both Chinese and English, or neither",
                                field="follow_up_en" if zh else "follow_up_zh")
    case = _case(session, case_id)
    if case.resolved_at is not None:
        raise ConflictError("the case is already resolved")
    if (zh or en) and case.member_id is None:
        raise InvalidInputError("a guest's case has no member to follow up with",
                                field="follow_up_zh")
    case.status, case.resolved_at, case.resolution = "resolved", now, text
    case.resolved_by, case.follow_up_zh, case.follow_up_en = actor_id, zh, en
    session.add(case)
    session.add(CaseNote(case_id=case_id, kind="resolve", body=text, author=actor,
                         created_at=now))
    if zh and case.member_id is not None:
        session.add(MemberMessage(
            member_id=case.member_id, kind="follow_up", case_id=case_id, text_zh=zh,
            text_en=en, on_screen=True, on_receipt=False, valid_from=now,
            valid_until=now + timedelta(days=FOLLOW_UP_DAYS), created_at=now))
    record_audit(session, actor=actor, action="crm.case.resolve", entity="crm_case",
                 entity_id=case_id, at=now, member_id=case.member_id,
                 after={"resolution": text, "follow_up": bool(zh)})
    session.flush()
    thank_after_resolution(session, case=case, now=now, actor=actor)
    # A service message (no marketing consent needed); a failure to queue never blocks this.
    notify_resolved(session, member_id=case.member_id, case_id=case_id, site_id=case.site_id,
                    resolution=text, now=now)
    session.commit()
    session.refresh(case)
    return case


def open_count(session: Session, *, now: datetime | None = None) -> tuple[int, int]:
    """(unresolved cases, of which overdue): the queue's header."""
    now = now or utcnow()
    unresolved = col(ComplaintCase.resolved_at).is_(None)
    total = session.exec(select(func.count()).where(unresolved)).one()
    late = session.exec(select(func.count()).where(unresolved,
                                                   ComplaintCase.due_at < now)).one()
    return int(total), int(late)
