"""/crm: member search and profile (audited), tags, tag rules with dry run, segments with
live count and export, and the full refresh. Managers and admins only.

A malformed rule or segment is answered 422 with one entry per problem, its location in
the body (``["body", "definition", "items", 0, "value"]``) and the reason; nothing is
written. A rule that would tag everyone or no one is answered 409 until ``confirm`` is true.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import EDITORS, CipherDep, CurrentUser, SessionDep, require_role
from hub.api.params import IdPath
from hub.crm import jobs, profile, segments, tags
from hub.errors import NotFoundError
from hub.models import Member
from hub.models.crm import Segment, TagRule
from hub.models.users import Role

router = APIRouter(prefix="/crm", tags=["crm"], dependencies=[require_role(*EDITORS)])
TagPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


def _refused(problems: list[tuple[str, str]]) -> HTTPException:
    detail = []
    for where, why in problems:
        loc: list[Any] = ["body"]
        loc.extend(int(p) if p.isdigit() else p for p in where.split(".") if p)
        detail.append({"loc": loc, "msg": why, "type": "value_error"})
    return HTTPException(status_code=422, detail=detail)


# ---- members -----------------------------------------------------------------------------

class MemberHitOut(BaseModel):
    """A member found by the search."""

    id: int
    member_no: str
    name: str
    department: str
    employer: str
    tags: list[str]


class TagOut(BaseModel):
    """A tag of the member, with why it was given."""

    tag: str
    name_zh: str
    name_en: str
    source: str
    rule_id: int | None
    given_at: datetime
    given_by: str | None
    evidence: dict[str, Any]


class ScoreOut(BaseModel):
    """RFM quintiles (5 best) and the churn probability."""

    recency_days: int
    frequency: int
    monetary_cents: int
    r: int
    f: int
    m: int
    churn_probability: float
    method: str
    scored_at: datetime


class ProfileOut(BaseModel):
    """The member profile (客户画像); each GET is audited."""

    id: int
    member_no: str
    name: str
    phone: str
    employer: str | None
    organisation: str | None
    department: str | None
    school_class: str | None
    birthday: str | None
    active: bool
    consents: dict[str, datetime | None]
    dietary_preferences: list[str]
    allergens: list[str]
    tier: str | None
    balances: dict[str, int]
    ledger: list[dict[str, Any]]
    coupons: list[dict[str, Any]]
    tags: list[TagOut]
    score: ScoreOut | None
    learnt: dict[str, Any]
    recent_orders: list[dict[str, Any]]


@router.get("/members", response_model=list[MemberHitOut])
def search_members(session: SessionDep,
                   q: Annotated[str, Query(max_length=60)] = "") -> list[MemberHitOut]:
    """Members whose name, number, department or employer contains ``q``."""
    return [MemberHitOut(**hit.__dict__) for hit in profile.search(session, q)]


@router.get("/members/{member_id}", response_model=ProfileOut)
def member_profile(member_id: IdPath, session: SessionDep, cipher: CipherDep,
                   user: CurrentUser) -> ProfileOut:
    """The member's profile; the view is written to the audit log."""
    try:
        p = profile.load_profile(session, cipher=cipher, member_id=member_id,
                                 actor=user.username)
    except NotFoundError as err:
        raise HTTPException(status_code=404, detail=str(err)) from err
    m, acc = p.member, p.account
    return ProfileOut(
        id=m.id or 0, member_no=m.member_no, name=m.name, phone=p.phone_masked,
        employer=m.employer, organisation=p.organisation, department=m.department,
        school_class=m.school_class, birthday=m.birthday.isoformat() if m.birthday else None,
        active=m.active,
        consents={"data": m.consent_data_at, "marketing": m.consent_marketing_at,
                  "face": m.consent_face_at},
        dietary_preferences=list(m.dietary_preferences), allergens=list(m.allergens),
        tier=acc.tier_code,
        balances={"paid_cents": acc.paid_cents, "bonus_cents": acc.bonus_cents,
                  "subsidy_cents": acc.subsidy_cents, "points": acc.points},
        ledger=[{"at": e.created_at, "account": e.account, "kind": e.kind,
                 "amount": e.amount, "balance_after": e.balance_after} for e in p.ledger],
        coupons=p.coupons,
        tags=[TagOut(**t.__dict__) for t in p.tags],
        score=ScoreOut.model_validate(p.score, from_attributes=True) if p.score else None,
        learnt={"orders": p.learnt.orders,
                "typical_spend_cents": p.learnt.typical_spend_cents,
                **{k: [x.__dict__ for x in getattr(p.learnt, k)]
                   for k in ("dishes", "stations", "meal_periods", "modifiers")}},
        recent_orders=[o.__dict__ for o in p.recent],
    )


class ManualTagIn(BaseModel):
    """A tag staff give by hand."""

    model_config = ConfigDict(extra="forbid")
    tag: str = Field(min_length=1, max_length=32)
    note: str = Field(default="", max_length=200)


@router.post("/members/{member_id}/tags", status_code=201, response_model=list[TagOut])
def add_tag(member_id: IdPath, body: ManualTagIn, session: SessionDep,
            user: CurrentUser) -> list[TagOut]:
    """Give the member a manual tag."""
    if session.get(Member, member_id) is None:
        raise HTTPException(status_code=404, detail=f"member {member_id} not found")
    try:
        tags.add_manual_tag(session, member_id=member_id, tag=body.tag, actor=user.username,
                            note=body.note)
    except tags.TagError as err:
        raise _refused([(err.field, err.reason)]) from err
    session.commit()
    return [TagOut(**t.__dict__) for t in tags.member_tags(session, member_id)]


@router.delete("/members/{member_id}/tags/{tag}", status_code=204)
def remove_tag(member_id: IdPath, tag: TagPath, session: SessionDep) -> Response:
    """Take a manual tag off the member (rule tags go when the rule stops matching)."""
    if not tags.remove_manual_tag(session, member_id=member_id, tag=tag):
        raise HTTPException(status_code=404, detail=f"member {member_id} has no manual {tag!r}")
    session.commit()
    return Response(status_code=204)


# ---- rules -------------------------------------------------------------------------------

class RuleIn(BaseModel):
    """A tag rule; ``definition`` in the language of hub.crm.definitions."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=32)
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=60)
    definition: dict[str, Any]
    active: bool = True
    confirm: bool = False  # save even if it would tag everyone or no one


class RuleOut(BaseModel):
    """A rule and how many members have its tag."""

    id: int
    code: str
    name_zh: str
    name_en: str
    definition: dict[str, Any]
    active: bool
    builtin: bool
    members: int
    refreshed_at: datetime | None


class DefinitionIn(BaseModel):
    """A definition to dry-run or count."""

    model_config = ConfigDict(extra="forbid")
    definition: dict[str, Any]


class DryRunOut(BaseModel):
    """What a definition would select now."""

    count: int
    total: int
    extreme: bool
    sample: list[dict[str, Any]]


def _rule_out(session: SessionDep, rule: TagRule) -> RuleOut:
    members = len(tags.members_with_tag(session, rule.code))
    return RuleOut(id=rule.id or 0, code=rule.code, name_zh=rule.name_zh, name_en=rule.name_en,
                   definition=rule.definition, active=rule.active, builtin=rule.builtin,
                   members=members, refreshed_at=rule.refreshed_at)


@router.get("/rules", response_model=list[RuleOut])
def list_rules(session: SessionDep) -> list[RuleOut]:
    """Every rule (the shipped ones are added on first use)."""
    if tags.ensure_builtin_rules(session):
        session.commit()
    from sqlmodel import select

    return [_rule_out(session, r) for r in session.exec(select(TagRule).order_by(TagRule.code))]


def _save_rule(session: SessionDep, body: RuleIn, actor: str, rule_id: int | None) -> RuleOut:
    try:
        rule, _ = tags.save_rule(session, code=body.code, name_zh=body.name_zh,
                                 name_en=body.name_en, definition=body.definition,
                                 active=body.active, confirm=body.confirm, actor=actor,
                                 rule_id=rule_id)
    except tags.NeedsConfirmation as err:
        raise HTTPException(status_code=409, detail={
            "msg": err.problems[0][1], "count": err.run.count, "total": err.run.total,
            "sample": err.run.sample}) from err
    except tags.RuleError as err:
        if rule_id is not None and any(f == "id" for f, _ in err.problems):
            raise HTTPException(status_code=404, detail=f"no rule {rule_id}") from err
        raise _refused(err.problems) from err
    return _rule_out(session, rule)


@router.post("/rules", status_code=201, response_model=RuleOut)
def create_rule(body: RuleIn, session: SessionDep, user: CurrentUser) -> RuleOut:
    """Save a new rule (after its dry run) and tag its members now."""
    return _save_rule(session, body, user.username, None)


@router.put("/rules/{rule_id}", response_model=RuleOut)
def update_rule(rule_id: IdPath, body: RuleIn, session: SessionDep,
                user: CurrentUser) -> RuleOut:
    """Change a rule and re-tag."""
    return _save_rule(session, body, user.username, rule_id)


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: IdPath, session: SessionDep, user: CurrentUser) -> Response:
    """Delete a rule and its tags."""
    if not tags.delete_rule(session, rule_id=rule_id, actor=user.username):
        raise HTTPException(status_code=404, detail=f"no rule {rule_id}")
    return Response(status_code=204)


@router.post("/rules/dry-run", response_model=DryRunOut)
def dry_run_rule(body: DefinitionIn, session: SessionDep) -> DryRunOut:
    """How many members the rule would tag now, and ten of them; writes nothing."""
    try:
        run = tags.dry_run(session, body.definition, for_rule=True)
    except tags.d.DefinitionError as err:
        raise _refused([(f"definition.{w}" if w else "definition", r)
                        for w, r in err.problems]) from err
    return DryRunOut(count=run.count, total=run.total, extreme=run.extreme, sample=run.sample)


# ---- segments ----------------------------------------------------------------------------

class SegmentIn(BaseModel):
    """A segment: a name and a definition (tags, AND/OR/NOT, metrics)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    definition: dict[str, Any]


class SegmentOut(BaseModel):
    """A saved segment and its live member count."""

    id: int
    name: str
    definition: dict[str, Any]
    members: int
    created_by: str | None


def _segment_out(session: SessionDep, seg: Segment) -> SegmentOut:
    return SegmentOut(id=seg.id or 0, name=seg.name, definition=seg.definition,
                      members=segments.count_definition(session, seg.definition),
                      created_by=seg.created_by)


@router.get("/segments", response_model=list[SegmentOut])
def list_segments(session: SessionDep) -> list[SegmentOut]:
    """Every segment with its count now."""
    return [_segment_out(session, s) for s in segments.list_segments(session)]


def _save_segment(session: SessionDep, body: SegmentIn, actor: str,
                  segment_id: int | None) -> SegmentOut:
    try:
        seg = segments.save_segment(session, name=body.name, definition=body.definition,
                                    actor=actor, segment_id=segment_id)
    except segments.SegmentNotFound as err:
        raise HTTPException(status_code=404, detail=f"no segment {segment_id}") from err
    except segments.SegmentError as err:
        session.rollback()
        raise _refused(err.problems) from err
    session.commit()
    return _segment_out(session, seg)


@router.post("/segments", status_code=201, response_model=SegmentOut)
def create_segment(body: SegmentIn, session: SessionDep, user: CurrentUser) -> SegmentOut:
    """Save a segment."""
    return _save_segment(session, body, user.username, None)


@router.put("/segments/{segment_id}", response_model=SegmentOut)
def update_segment(segment_id: IdPath, body: SegmentIn, session: SessionDep,
                   user: CurrentUser) -> SegmentOut:
    """Change a segment."""
    return _save_segment(session, body, user.username, segment_id)


@router.delete("/segments/{segment_id}", status_code=204)
def delete_segment(segment_id: IdPath, session: SessionDep) -> Response:
    """Delete a segment."""
    seg = session.get(Segment, segment_id)
    if seg is None:
        raise HTTPException(status_code=404, detail=f"no segment {segment_id}")
    session.delete(seg)
    session.commit()
    return Response(status_code=204)


@router.post("/segments/count", response_model=DryRunOut)
def count_segment(body: DefinitionIn, session: SessionDep) -> DryRunOut:
    """The live count while a segment is edited (and ten of its members)."""
    try:
        run = tags.dry_run(session, body.definition, for_rule=False)
    except tags.d.DefinitionError as err:
        raise _refused([(f"definition.{w}" if w else "definition", r)
                        for w, r in err.problems]) from err
    return DryRunOut(count=run.count, total=run.total, extreme=run.extreme, sample=run.sample)


@router.get("/segments/{segment_id}/members", response_model=list[int])
def segment_members(segment_id: IdPath, session: SessionDep) -> list[int]:
    """Ids of the segment's members now."""
    try:
        return segments.segment_member_ids(session, segment_id)
    except segments.SegmentNotFound as err:
        raise HTTPException(status_code=404, detail=f"no segment {segment_id}") from err


@router.get("/segments/{segment_id}/export")
def export_segment(segment_id: IdPath, session: SessionDep, user: CurrentUser,
                   format: Literal["csv", "xlsx"] = "csv") -> Response:
    """The members with marketing consent as CSV or XLSX (audited)."""
    try:
        export, body = segments.audited_export(session, segment_id, actor=user.username,
                                               file_format=format)
    except segments.SegmentNotFound as err:
        raise HTTPException(status_code=404, detail=f"no segment {segment_id}") from err
    return Response(body, media_type=segments.EXPORT_TYPES[format],
                    headers=segments.export_headers(segment_id, format, export))


class RefreshOut(BaseModel):
    """What the full refresh did."""

    rules: dict[str, int]
    scored: int
    method: str


@router.post("/refresh", response_model=RefreshOut,
             dependencies=[require_role(Role.ADMIN)])
def full_refresh(session: SessionDep) -> RefreshOut:
    """Re-evaluate every rule and re-score every member now (normally a nightly job)."""
    report = jobs.full_refresh(session)
    return RefreshOut(rules={r.rule: r.matched for r in report.tags},
                      scored=report.scores.members, method=report.scores.method)
