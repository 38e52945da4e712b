"""Dish votes and short surveys: set up by a manager, answered by members, counted.

Managers (admin pages and ``/api/v1/surveys``) make a survey for one site or for every
site; members answer on the member page while it is open, once each (answering again
replaces the answer). Results count options and stars per question; text answers are
read by staff, and erased with the member.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from hub.accounts.audit import record_audit
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.identity.entitlement import member_site_ids
from hub.models.dishes import Dish
from hub.models.members import Member
from hub.models.sites import Site
from hub.models.surveys import Survey, SurveyResponse
from hub.services.common import commit_or_conflict, get_or_404
from hub.surveys.definition import (
    Choice,
    Question,
    SurveyIn,
    check_answers,
    dish_vote_question,
)

TEXT_SHOWN = 20  # the newest text answers a results page lists


def questions_of(survey: Survey) -> list[Question]:
    """The survey's questions, as validated when it was made."""
    return [Question.model_validate(q) for q in survey.questions]


def is_open(survey: Survey, now: datetime) -> bool:
    """Open for answers now."""
    return survey.closed_early_at is None and survey.opens_at <= now < survey.closes_at


def create_survey(session: Session, data: SurveyIn, *, actor: str) -> Survey:
    """Save a new survey or dish vote (checked whole: nothing is saved when a part is wrong)."""
    if data.site_id is not None and session.get(Site, data.site_id) is None:
        raise InvalidInputError(f"site {data.site_id} not found", field="site_id")
    questions = data.questions
    if data.kind == "dish_vote":
        found = {d.code: d for d in session.exec(
            select(Dish).where(col(Dish.code).in_(data.dishes)))}
        missing = [c for c in data.dishes if c not in found]
        if missing:
            raise InvalidInputError(f"unknown dishes: {', '.join(missing)}", field="dishes")
        questions = [dish_vote_question(
            [Choice(code=c, zh=found[c].name_zh, en=found[c].name_en) for c in data.dishes],
            data.max_picks)]
    survey = Survey(kind=data.kind, site_id=data.site_id, title_zh=data.title_zh,
                    title_en=data.title_en, opens_at=data.opens_at, closes_at=data.closes_at,
                    questions=[q.model_dump() for q in questions], created_by=actor)
    session.add(survey)
    session.flush()
    assert survey.id is not None
    record_audit(session, actor=actor, action="survey.create", entity="survey",
                 entity_id=survey.id, note=f"{data.kind}: {data.title_en}")
    commit_or_conflict(session, message="survey could not be saved")
    session.refresh(survey)
    return survey


def close_survey(session: Session, survey_id: int, *, actor: str) -> Survey:
    """Stop taking answers now (the results stay)."""
    survey = get_or_404(session, Survey, survey_id, what="survey")
    if survey.closed_early_at is not None or survey.closes_at <= utcnow():
        raise ConflictError(f"survey {survey_id} is already closed")
    survey.closed_early_at = utcnow()
    session.add(survey)
    record_audit(session, actor=actor, action="survey.close", entity="survey",
                 entity_id=survey_id)
    commit_or_conflict(session, message=f"survey {survey_id} could not be closed")
    session.refresh(survey)
    return survey


def list_surveys(session: Session, *, limit: int = 50, offset: int = 0
                 ) -> tuple[list[Survey], int]:
    """Newest first, with the total."""
    rows = session.exec(select(Survey).order_by(col(Survey.id).desc())
                        .limit(limit).offset(offset)).all()
    total = len(session.exec(select(Survey.id)).all())
    return list(rows), total


def open_for_member(session: Session, member: Member, now: datetime) -> list[Survey]:
    """Surveys this member may answer now: every-site ones and those of their sites."""
    sites = member_site_ids(session, member.organisation_id)
    rows = session.exec(select(Survey).where(
        col(Survey.opens_at) <= now, col(Survey.closes_at) > now,
        col(Survey.closed_early_at).is_(None),
        col(Survey.site_id).is_(None) | col(Survey.site_id).in_(sites),
    ).order_by(col(Survey.closes_at))).all()
    return list(rows)


def answer_of(session: Session, survey_id: int, member_id: int) -> SurveyResponse | None:
    """This member's answer to this survey, if any."""
    return session.exec(select(SurveyResponse).where(
        SurveyResponse.survey_id == survey_id, SurveyResponse.member_id == member_id)).first()


def answer(session: Session, *, survey_id: int, member: Member, answers: dict[str, Any],
           now: datetime) -> SurveyResponse:
    """Record (or replace) a member's answers while the survey is open."""
    survey = session.get(Survey, survey_id)
    if survey is None or survey not in open_for_member(session, member, now):
        if survey is not None and not is_open(survey, now):
            raise ConflictError("this survey is closed")
        raise NotFoundError(f"survey {survey_id} not found")
    clean = check_answers(questions_of(survey), answers)
    assert member.id is not None
    row = answer_of(session, survey_id, member.id) or SurveyResponse(
        survey_id=survey_id, member_id=member.id, answered_at=now)
    row.answers, row.answered_at = clean, now
    session.add(row)
    commit_or_conflict(session, message="answer could not be saved")
    session.refresh(row)
    return row


@dataclass
class QuestionResult:
    """The counts of one question."""

    question: Question
    answered: int = 0
    picks: list[tuple[Choice, int]] = field(default_factory=list)  # most picked first
    stars: dict[int, int] = field(default_factory=dict)
    mean: float | None = None
    texts: list[str] = field(default_factory=list)  # newest first


def results(session: Session, survey_id: int) -> tuple[Survey, int, list[QuestionResult]]:
    """The survey, how many members answered, and each question's counts."""
    survey = get_or_404(session, Survey, survey_id, what="survey")
    rows = session.exec(select(SurveyResponse).where(SurveyResponse.survey_id == survey_id)
                        .order_by(col(SurveyResponse.answered_at).desc())).all()
    out = []
    for q in questions_of(survey):
        given = [r.answers[q.code] for r in rows if q.code in r.answers]
        res = QuestionResult(q, answered=len(given))
        if q.kind == "choice":
            counts = Counter(p for picks in given for p in picks)
            res.picks = sorted(((c, counts[c.code]) for c in q.choices), key=lambda x: -x[1])
        elif q.kind == "rating":
            res.stars = {s: sum(1 for g in given if g == s) for s in range(1, 6)}
            res.mean = round(sum(given) / len(given), 2) if given else None
        else:
            res.texts = given[:TEXT_SHOWN]
        out.append(res)
    return survey, len(rows), out


def answers_of_member(session: Session, member_id: int) -> list[dict[str, Any]]:
    """Every survey answer of a member (their data export)."""
    rows = session.exec(select(SurveyResponse).where(SurveyResponse.member_id == member_id)
                        .order_by(col(SurveyResponse.id))).all()
    return [{"survey_id": r.survey_id, "answers": r.answers,
             "answered_at": r.answered_at.isoformat()} for r in rows]


def erase_member_answers(session: Session, member_id: int) -> None:
    """Drop a member's answers (erasure); the caller commits."""
    session.exec(delete(SurveyResponse).where(col(SurveyResponse.member_id) == member_id))
