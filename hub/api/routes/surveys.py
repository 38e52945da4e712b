"""/surveys (managers: make, list, close, results) and /me/surveys (members: open ones, answer).

A malformed survey or answer is refused with the field and the reason and writes nothing.
The member routes take no member id: a member sees and answers only as themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from hub.api.deps import EDITORS, CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath
from hub.api.routes.member_portal import Me
from hub.db_types import utcnow
from hub.models.members import Member
from hub.models.surveys import Survey
from hub.services.common import get_or_404
from hub.surveys import service as svc
from hub.surveys.definition import Question, SurveyIn

router = APIRouter(prefix="/surveys", tags=["surveys"], dependencies=[require_role(*EDITORS)])
member_router = APIRouter(prefix="/me/surveys", tags=["member web"])


class SurveyOut(BaseModel):
    """A survey as managers and members see it."""

    id: int
    kind: str
    site_id: int | None
    title_zh: str
    title_en: str
    opens_at: datetime
    closes_at: datetime
    closed_early_at: datetime | None
    questions: list[Question]


class OptionCount(BaseModel):
    """How many members picked an option."""

    code: str
    zh: str
    en: str
    picks: int


class QuestionResultOut(BaseModel):
    """One question's counts: options picked, stars given, or the newest texts."""

    code: str
    kind: str
    text_zh: str
    text_en: str
    answered: int
    options: list[OptionCount] = Field(default_factory=list)
    stars: dict[int, int] = Field(default_factory=dict)
    mean: float | None = None
    texts: list[str] = Field(default_factory=list)


class ResultsOut(BaseModel):
    """A survey's results."""

    survey: SurveyOut
    responses: int
    questions: list[QuestionResultOut]


class AnswerIn(BaseModel):
    """Answers by question code: an option code (or a list), 1-5 stars, or a short text."""

    answers: dict[str, Any] = Field(max_length=10)


class AnswerOut(BaseModel):
    """The answer as stored."""

    survey_id: int
    answers: dict[str, Any]
    answered_at: datetime


class MySurveyOut(BaseModel):
    """An open survey and this member's answer so far (None: not answered yet)."""

    survey: SurveyOut
    my_answers: dict[str, Any] | None


def survey_out(s: Survey) -> SurveyOut:
    """The API shape of a survey."""
    assert s.id is not None
    return SurveyOut(id=s.id, kind=s.kind, site_id=s.site_id, title_zh=s.title_zh,
                     title_en=s.title_en, opens_at=s.opens_at, closes_at=s.closes_at,
                     closed_early_at=s.closed_early_at, questions=svc.questions_of(s))


def results_out(session: Session, survey_id: int) -> ResultsOut:
    """A survey's results in the API shape (the admin page shows the same)."""
    survey, responses, questions = svc.results(session, survey_id)
    return ResultsOut(survey=survey_out(survey), responses=responses, questions=[
        QuestionResultOut(
            code=r.question.code, kind=r.question.kind, text_zh=r.question.text_zh,
            text_en=r.question.text_en, answered=r.answered,
            options=[OptionCount(code=c.code, zh=c.zh, en=c.en, picks=n) for c, n in r.picks],
            stars=r.stars, mean=r.mean, texts=r.texts)
        for r in questions])


@router.post("", response_model=SurveyOut, status_code=status.HTTP_201_CREATED)
def create(session: SessionDep, user: CurrentUser, data: SurveyIn) -> SurveyOut:
    """Make a dish vote (list the dishes) or a short survey (write the questions)."""
    return survey_out(svc.create_survey(session, data, actor=user.username))


@router.get("", response_model=Page[SurveyOut])
def list_all(session: SessionDep, page: PageDep) -> Page[SurveyOut]:
    """Every survey, newest first."""
    rows, total = svc.list_surveys(session, limit=page.limit, offset=page.offset)
    return Page(items=[survey_out(s) for s in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/{survey_id}/results", response_model=ResultsOut)
def results(session: SessionDep, survey_id: IdPath) -> ResultsOut:
    """Options and stars counted, the newest texts."""
    return results_out(session, survey_id)


@router.post("/{survey_id}/close", response_model=SurveyOut)
def close(session: SessionDep, user: CurrentUser, survey_id: IdPath) -> SurveyOut:
    """Stop taking answers now."""
    return survey_out(svc.close_survey(session, survey_id, actor=user.username))


@member_router.get("", response_model=list[MySurveyOut])
def my_open_surveys(session: SessionDep, me: Me) -> list[MySurveyOut]:
    """The surveys this member may answer now, with their answers so far."""
    member = get_or_404(session, Member, me.member_id, what="member")
    out = []
    for s in svc.open_for_member(session, member, utcnow()):
        assert s.id is not None
        mine = svc.answer_of(session, s.id, me.member_id)
        out.append(MySurveyOut(survey=survey_out(s), my_answers=mine.answers if mine else None))
    return out


@member_router.put("/{survey_id}/answers", response_model=AnswerOut)
def answer(session: SessionDep, me: Me, survey_id: IdPath, data: AnswerIn) -> AnswerOut:
    """Answer (or change the answer to) an open survey."""
    member = get_or_404(session, Member, me.member_id, what="member")
    row = svc.answer(session, survey_id=survey_id, member=member, answers=data.answers,
                     now=utcnow())
    return AnswerOut(survey_id=row.survey_id, answers=row.answers, answered_at=row.answered_at)
