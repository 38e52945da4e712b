"""Coupon templates, issuing, coupon codes, double redemptions, and promotions."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from hub.api.deps import EDITORS, MEMBER_DESK, CipherDep, CurrentUser, SessionDep, require_role
from hub.api.params import IdPath, IdQuery
from hub.coupons import issue as issue_svc
from hub.coupons import promotions as promo_svc
from hub.coupons import redeem as redeem_svc
from hub.coupons import templates as template_svc
from hub.db_types import utcnow
from hub.models.bounds import RowId
from hub.models.coupons import (
    CouponPublic,
    CouponRedemptionConflict,
    CouponTemplateCreate,
    CouponTemplatePublic,
    PromotionCreate,
    PromotionPublic,
    PromotionUpdate,
)
from hub.models.users import Role

desk_router = APIRouter(tags=["coupons"], dependencies=[require_role(*MEMBER_DESK)])
editors_router = APIRouter(tags=["coupons"], dependencies=[require_role(*EDITORS)])


class IssueToMembers(BaseModel):
    """Issue one coupon of a template to each member; ``request_key`` makes a retry harmless."""

    template_id: RowId
    member_ids: list[RowId] = Field(min_length=1, max_length=issue_svc.MAX_MANUAL)
    request_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,40}$")


class IssueToSegment(BaseModel):
    """Issue to every active member of an employer and/or department, once per batch name."""

    template_id: RowId
    employer: str | None = Field(default=None, max_length=120)
    department: str | None = Field(default=None, max_length=120)
    batch: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")


class Issued(BaseModel):
    """How many coupons were issued now (0 when this batch was already issued)."""

    issued: int


class AutoRun(BaseModel):
    """Run the automatic issues for a day (the scheduler calls the same services)."""

    today: date


class CouponCode(BaseModel):
    """A coupon's signed QR code."""

    token: str


class ActiveSwitch(BaseModel):
    """Switch a template on or off."""

    active: bool


@desk_router.get("/coupon-templates", response_model=list[CouponTemplatePublic])
def list_templates(session: SessionDep) -> list[CouponTemplatePublic]:
    """Every coupon template."""
    return [
        CouponTemplatePublic.model_validate(t) for t in template_svc.list_templates(session=session)
    ]


@editors_router.post(
    "/coupon-templates", response_model=CouponTemplatePublic, status_code=status.HTTP_201_CREATED
)
def create_template(
    session: SessionDep, user: CurrentUser, data: CouponTemplateCreate
) -> CouponTemplatePublic:
    """Create a coupon template."""
    row = template_svc.create_template(session=session, data=data, actor=user.username)
    return CouponTemplatePublic.model_validate(row)


@editors_router.put("/coupon-templates/{template_id}/active", response_model=CouponTemplatePublic)
def switch_template(
    session: SessionDep, user: CurrentUser, template_id: IdPath, data: ActiveSwitch
) -> CouponTemplatePublic:
    """Switch a template on or off."""
    row = template_svc.set_template_active(
        session=session, template_id=template_id, active=data.active, actor=user.username
    )
    return CouponTemplatePublic.model_validate(row)


@desk_router.post(
    "/coupons/issue", response_model=list[CouponPublic], status_code=status.HTTP_201_CREATED
)
def issue_to_members(
    session: SessionDep, user: CurrentUser, data: IssueToMembers
) -> list[CouponPublic]:
    """Issue coupons to chosen members (all or none)."""
    rows = issue_svc.issue_to_members(
        session=session,
        template_id=data.template_id,
        member_ids=data.member_ids,
        now=utcnow(),
        actor=user.username,
        request_key=data.request_key,
    )
    return [CouponPublic.model_validate(c) for c in rows]


@editors_router.post("/coupons/issue-segment", response_model=Issued)
def issue_to_segment(session: SessionDep, user: CurrentUser, data: IssueToSegment) -> Issued:
    """Issue to a segment (employer / department)."""
    n = issue_svc.issue_to_segment(
        session=session,
        template_id=data.template_id,
        employer=data.employer,
        department=data.department,
        batch=data.batch,
        now=utcnow(),
        actor=user.username,
    )
    return Issued(issued=n)


@editors_router.post(
    "/coupons/run-automatic", response_model=Issued, dependencies=[require_role(Role.ADMIN)]
)
def run_automatic(session: SessionDep, data: AutoRun) -> Issued:
    """Issue welcome and birthday-week coupons now (idempotent)."""
    welcome = issue_svc.issue_welcome_coupons(session=session, now=utcnow())
    birthday = issue_svc.issue_birthday_coupons(session=session, today=data.today)
    return Issued(issued=welcome + birthday)


@desk_router.get("/members/{member_id}/coupons", response_model=list[CouponPublic])
def member_coupons(session: SessionDep, member_id: IdPath) -> list[CouponPublic]:
    """A member's coupons."""
    return [
        CouponPublic.model_validate(c)
        for c in issue_svc.member_coupons(session=session, member_id=member_id)
    ]


@desk_router.get("/coupons/{coupon_id}/qr-token", response_model=CouponCode)
def coupon_code(session: SessionDep, cipher: CipherDep, coupon_id: IdPath) -> CouponCode:
    """The signed QR code of an open coupon."""
    return CouponCode(
        token=issue_svc.coupon_token(session=session, cipher=cipher, coupon_id=coupon_id)
    )


@editors_router.get("/coupon-redemption-conflicts", response_model=list[CouponRedemptionConflict])
def redemption_conflicts(
    session: SessionDep,
    include_resolved: bool = False,
) -> list[CouponRedemptionConflict]:
    """Coupons redeemed twice (two offline kiosks) or unknown at redemption."""
    return list(redeem_svc.list_conflicts(session=session, include_resolved=include_resolved))


@editors_router.get("/promotions", response_model=list[PromotionPublic])
def list_promotions(session: SessionDep, site_id: IdQuery = None) -> list[PromotionPublic]:
    """Promotions (of a site, plus those for every site)."""
    return [
        PromotionPublic.model_validate(p)
        for p in promo_svc.list_promotions(session=session, site_id=site_id)
    ]


@editors_router.post(
    "/promotions", response_model=PromotionPublic, status_code=status.HTTP_201_CREATED
)
def create_promotion(
    session: SessionDep, user: CurrentUser, data: PromotionCreate
) -> PromotionPublic:
    """Create a promotion (member day, spend-save, set-meal price)."""
    row = promo_svc.create_promotion(session=session, data=data, actor=user.username)
    return PromotionPublic.model_validate(row)


@editors_router.patch("/promotions/{promotion_id}", response_model=PromotionPublic)
def update_promotion(
    session: SessionDep, user: CurrentUser, promotion_id: IdPath, data: PromotionUpdate
) -> PromotionPublic:
    """Change a promotion."""
    row = promo_svc.update_promotion(
        session=session, promotion_id=promotion_id, data=data, actor=user.username
    )
    return PromotionPublic.model_validate(row)


@editors_router.delete("/promotions/{promotion_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_promotion(session: SessionDep, user: CurrentUser, promotion_id: IdPath) -> Response:
    """Remove a promotion."""
    promo_svc.delete_promotion(session=session, promotion_id=promotion_id, actor=user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
