"""/crm/campaigns: create, list, launch, results with the 95 % interval; the automations.

Managers and admins only. A malformed campaign is refused (422) with the field and the
reason, and nothing is written; a campaign that cannot launch (over, launched, its coupon
switched off) answers 409 with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import EDITORS, CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath
from hub.crm import automations as auto
from hub.crm import campaign_results as results_svc
from hub.crm import campaigns as svc
from hub.models.bounds import RowId
from hub.models.crm_campaigns import Automation, Campaign

AutomationCode = Annotated[str, Path(max_length=16, pattern=r"^[a-z_]{1,16}$")]
router = APIRouter(prefix="/crm/campaigns", tags=["crm"],
                   dependencies=[require_role(*EDITORS)])


class CampaignOut(BaseModel):
    """A campaign as stored."""

    id: int
    code: str
    name: str
    segment_id: int | None
    automation: str | None
    coupon_template_id: int | None
    message_zh: str
    message_en: str
    channels: list[str]
    holdout_percent: float
    starts_at: datetime
    ends_at: datetime
    frequency_cap: int
    allow_overlap: bool
    status: str
    launched_at: datetime | None


class TargetingOut(BaseModel):
    """Who the launch reached and who it left out, and why."""

    segment: int
    no_consent: int
    capped: int
    overlapping: int
    treatment: int
    holdout: int
    coupons: int


class IntervalOut(BaseModel):
    """Treatment minus holdout mean per member, with its 95 % confidence interval."""

    treatment_mean: float
    holdout_mean: float
    uplift: float
    low: float | None
    high: float | None
    significant: bool


class ResultsOut(BaseModel):
    """Reach, redemptions and uplift; ``finished`` once the window is over."""

    campaign_id: int
    finished: bool
    treatment: int
    holdout: int
    reached: int
    coupons: int
    redemptions: int
    visits: IntervalOut
    spend_cents: IntervalOut


class AutomationOut(BaseModel):
    """A built-in automation and its switch."""

    code: str
    enabled: bool
    coupon_template_id: int | None
    holdout_percent: float
    message_zh: str
    message_en: str


class AutomationIn(BaseModel):
    """Switch an automation and set its offer, holdout and message."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool
    coupon_template_id: RowId | None = None
    holdout_percent: int | None = Field(default=None, ge=0, le=50)
    message_zh: str | None = Field(default=None, min_length=1, max_length=200)
    message_en: str | None = Field(default=None, min_length=1, max_length=200)


def _campaign(c: Campaign) -> CampaignOut:
    return CampaignOut(
        id=c.id or 0, code=c.code, name=c.name, segment_id=c.segment_id,
        automation=c.automation, coupon_template_id=c.coupon_template_id,
        message_zh=c.message_zh, message_en=c.message_en, channels=list(c.channels),
        holdout_percent=c.holdout_bp / 100, starts_at=c.starts_at, ends_at=c.ends_at,
        frequency_cap=c.frequency_cap, allow_overlap=c.allow_overlap, status=c.status,
        launched_at=c.launched_at)


def _interval(i: results_svc.Interval) -> IntervalOut:
    return IntervalOut(treatment_mean=i.treatment_mean, holdout_mean=i.holdout_mean,
                       uplift=i.uplift, low=i.low, high=i.high, significant=i.significant)


def _automation(a: Automation) -> AutomationOut:
    return AutomationOut(code=a.code, enabled=a.enabled, coupon_template_id=a.coupon_template_id,
                         holdout_percent=a.holdout_bp / 100, message_zh=a.message_zh,
                         message_en=a.message_en)


@router.get("", response_model=Page[CampaignOut])
def list_campaigns(session: SessionDep, page: PageDep) -> Page[CampaignOut]:
    """Campaigns, newest first."""
    rows, total = svc.list_campaigns(session, limit=page.limit, offset=page.offset)
    return Page(items=[_campaign(c) for c in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.post("", response_model=CampaignOut, status_code=201)
def create(body: svc.CampaignInput, session: SessionDep, user: CurrentUser) -> CampaignOut:
    """Save a draft campaign (launch it with POST .../launch)."""
    return _campaign(svc.create_campaign(session, data=body, actor=user.username))


@router.get("/automations", response_model=list[AutomationOut])
def list_automations(session: SessionDep) -> list[AutomationOut]:
    """The four built-in automations and their switches."""
    return [_automation(a) for a in auto.automations(session)]


@router.put("/automations/{code}", response_model=AutomationOut)
def set_automation(code: AutomationCode, body: AutomationIn, session: SessionDep,
                   user: CurrentUser) -> AutomationOut:
    """Switch an automation on or off, with its offer, holdout and message."""
    return _automation(auto.set_automation(
        session, code=code, enabled=body.enabled, coupon_template_id=body.coupon_template_id,
        holdout_percent=body.holdout_percent, message_zh=body.message_zh,
        message_en=body.message_en, actor=user.username))


@router.post("/automations/run", response_model=dict[str, TargetingOut])
def run_automations(session: SessionDep, user: CurrentUser) -> dict[str, TargetingOut]:
    """Run the switched-on automations now (the scheduler calls the same service daily)."""
    done = auto.run_automations(session, actor=user.username)
    return {k: TargetingOut.model_validate(v, from_attributes=True) for k, v in done.items()}


@router.get("/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: IdPath, session: SessionDep) -> CampaignOut:
    """One campaign."""
    return _campaign(svc.get_campaign(session, campaign_id))


@router.post("/{campaign_id}/launch", response_model=TargetingOut)
def launch(campaign_id: IdPath, session: SessionDep, user: CurrentUser) -> TargetingOut:
    """Target the segment now: consent, cap and overlap applied, holdout split, offer sent."""
    done = svc.launch_campaign(session, campaign_id=campaign_id, actor=user.username)
    return TargetingOut.model_validate(done, from_attributes=True)


@router.get("/{campaign_id}/results", response_model=ResultsOut)
def results(campaign_id: IdPath, session: SessionDep) -> ResultsOut:
    """Reach, redemptions, uplift of visits and spend per member with 95 % intervals."""
    r = results_svc.campaign_results(session, campaign_id=campaign_id)
    return ResultsOut(campaign_id=r.campaign_id, finished=r.finished, treatment=r.treatment,
                      holdout=r.holdout, reached=r.reached, coupons=r.coupons,
                      redemptions=r.redemptions, visits=_interval(r.visits),
                      spend_cents=_interval(r.spend_cents))

