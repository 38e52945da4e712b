"""/crm/cases: the complaints queue, one case, assign, note, resolve; satisfaction and staff.

Managers and admins only (the same people who see the operations console). A malformed
request is refused with the field and the reason and writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import EDITORS, CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath, IdQuery
from hub.crm import cases as svc
from hub.crm import cases_stats as stats
from hub.models.bounds import RowId

router = APIRouter(prefix="/crm/cases", tags=["crm"], dependencies=[require_role(*EDITORS)])

Status = Literal["open", "assigned", "resolved"]
By = Literal["dish", "station", "site", "meal_period", "week"]


class CaseOut(BaseModel):
    """A case of the queue; ``overdue``: unresolved past its SLA due time."""

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


class NoteOut(BaseModel):
    """A line of the case's history."""

    kind: str
    body: str
    author: str
    created_at: datetime


class CaseDetailOut(BaseModel):
    """One case with its history and the follow-up's delivery."""

    case: CaseOut
    resolution: str
    resolved_at: datetime | None
    resolved_by: str | None
    follow_up_zh: str
    follow_up_en: str
    follow_up_delivered_at: datetime | None
    notes: list[NoteOut]


class AssignIn(BaseModel):
    """Who handles the case."""

    model_config = ConfigDict(extra="forbid")
    user_id: RowId


class NoteIn(BaseModel):
    """A note on the case."""

    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=svc.MAX_TEXT)


class ResolveIn(BaseModel):
    """The resolution, and an optional follow-up to the member in both languages."""

    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(min_length=1, max_length=svc.MAX_TEXT)
    follow_up_zh: str = Field(default="", max_length=svc.MAX_FOLLOW_UP)
    follow_up_en: str = Field(default="", max_length=svc.MAX_FOLLOW_UP)


class SatisfactionOut(BaseModel):
    """Ratings of one dish, station, site, meal period or week."""

    key: str
    name_zh: str
    name_en: str
    ratings: int
    average: float
    low: int
    per_dish: int


class StaffOut(BaseModel):
    """Complaint handling of one staff member."""

    user_id: int
    username: str
    assigned: int
    resolved: int
    sla_kept: int
    sla_kept_share: float | None
    median_hours_to_resolve: float | None
    open_overdue: int


def _out(row: svc.CaseRow) -> CaseOut:
    return CaseOut.model_validate(row, from_attributes=True)


def _detail(d: svc.CaseDetail) -> CaseDetailOut:
    return CaseDetailOut(
        case=_out(d.row), resolution=d.resolution, resolved_at=d.resolved_at,
        resolved_by=d.resolved_by, follow_up_zh=d.follow_up_zh, follow_up_en=d.follow_up_en,
        follow_up_delivered_at=d.follow_up_delivered_at,
        notes=[NoteOut(kind=n.kind, body=n.body, author=n.author, created_at=n.created_at)
               for n in d.notes])


@router.get("", response_model=Page[CaseOut])
def list_cases(
    session: SessionDep, page: PageDep, status: Status | None = None,
    overdue: bool = False, assigned_to: IdQuery = None, member_id: IdQuery = None,
) -> Page[CaseOut]:
    """The queue: unresolved first, soonest due first; ``overdue=true`` for late ones only."""
    rows, total = svc.list_cases(session, status=status, overdue_only=overdue,
                                 assigned_to=assigned_to, member_id=member_id,
                                 limit=page.limit, offset=page.offset)
    return Page(items=[_out(r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/satisfaction", response_model=list[SatisfactionOut])
def satisfaction(
    session: SessionDep, by: By = "dish",
    start: Annotated[date | None, Query(description="first local day")] = None,
    end: Annotated[date | None, Query(description="last local day")] = None,
) -> list[SatisfactionOut]:
    """Dish ratings grouped by dish, station, site, meal period or week (lowest first)."""
    return [SatisfactionOut.model_validate(s, from_attributes=True)
            for s in stats.satisfaction(session, by=by, start=start, end=end)]


@router.get("/staff", response_model=list[StaffOut])
def staff(
    session: SessionDep,
    start: Annotated[date | None, Query(description="first local day")] = None,
    end: Annotated[date | None, Query(description="last local day")] = None,
) -> list[StaffOut]:
    """Per staff member: cases handled, SLA kept, median time to resolve, open and late."""
    return [StaffOut.model_validate(s, from_attributes=True)
            for s in stats.staff_performance(session, start=start, end=end)]


@router.get("/{case_id}", response_model=CaseDetailOut)
def get_case(case_id: IdPath, session: SessionDep) -> CaseDetailOut:
    """One case and its history."""
    return _detail(svc.case_detail(session, case_id))


@router.post("/{case_id}/assign", response_model=CaseDetailOut)
def assign(case_id: IdPath, body: AssignIn, session: SessionDep,
           user: CurrentUser) -> CaseDetailOut:
    """Give the case to a staff member."""
    svc.assign_case(session, case_id=case_id, user_id=body.user_id, actor=user.username)
    return _detail(svc.case_detail(session, case_id))


@router.post("/{case_id}/notes", response_model=CaseDetailOut, status_code=201)
def note(case_id: IdPath, body: NoteIn, session: SessionDep,
         user: CurrentUser) -> CaseDetailOut:
    """Add a note to the case."""
    svc.add_note(session, case_id=case_id, body=body.body, actor=user.username)
    return _detail(svc.case_detail(session, case_id))


@router.post("/{case_id}/resolve", response_model=CaseDetailOut)
def resolve(case_id: IdPath, body: ResolveIn, session: SessionDep,
            user: CurrentUser) -> CaseDetailOut:
    """Resolve the case; the follow-up reaches the member at their next kiosk visit."""
    svc.resolve_case(session, case_id=case_id, resolution=body.resolution,
                     follow_up_zh=body.follow_up_zh, follow_up_en=body.follow_up_en,
                     actor=user.username, actor_id=user.id)
    return _detail(svc.case_detail(session, case_id))
