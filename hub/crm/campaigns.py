"""Campaigns (营销活动): a segment, an offer, a message, a window, a holdout; launch and targeting.

Targeting at launch, in this order, the same for both arms so the holdout stays a fair
comparison: the segment's members (``hub.crm.segments.segment_member_ids``), active and
with marketing consent only; then the frequency cap (members who already received
``frequency_cap`` campaigns launched in the last 30 days are left out); then, for a campaign
with a coupon that does not allow overlap, members in the treatment arm of another coupon
campaign whose window overlaps. The rest are split by a stable hash of campaign and member:
the holdout share gets nothing, the treatment gets the coupon and the channels' messages.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from sqlmodel import Session, col, func, select

from hub.accounts.audit import record_audit
from hub.coupons.issue import issue_for_campaign
from hub.crm.campaign_channels import CHANNELS, Delivery
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.coupons import CouponTemplate
from hub.models.crm_campaigns import Campaign, CampaignMember
from hub.models.members import Member
from protocol.fields import CODE_PATTERN

log = logging.getLogger(__name__)

CAP_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=92)
ChannelCode = Literal["kiosk", "receipt"]
STATUSES = ("draft", "launched")


class CampaignInput(BaseModel):
    """A campaign as a manager writes it; every field checked before anything is written."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Annotated[str, Field(max_length=32, pattern=CODE_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    segment_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    coupon_template_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    message_zh: Annotated[str, Field(min_length=1, max_length=200)]
    message_en: Annotated[str, Field(min_length=1, max_length=200)]
    channels: Annotated[list[ChannelCode], Field(min_length=1, max_length=len(CHANNELS))]
    holdout_percent: Annotated[int, Field(ge=0, le=50)] = 10
    starts_at: datetime
    ends_at: datetime
    frequency_cap: Annotated[int, Field(ge=1, le=31)] = 2
    allow_overlap: bool = False

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("give the time with a UTC offset, e.g. 2025-03-01T00:00:00Z")
        return value

    @field_validator("ends_at")
    @classmethod
    def _window(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("starts_at")
        if isinstance(start, datetime) and start.tzinfo is not None:
            if value <= start:
                raise ValueError("must be after starts_at")
            if value - start > MAX_WINDOW:
                raise ValueError(f"a campaign runs at most {MAX_WINDOW.days} days")
        return value

    @field_validator("channels")
    @classmethod
    def _channels_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value


def parse_campaign(data: object) -> CampaignInput:
    """The input checked; InvalidInputError names the first field at fault and why."""
    try:
        return CampaignInput.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "ends_at"
        raise InvalidInputError(f"{field}: {first['msg']}", field=field) from err


def holdout_bucket(campaign_code: str, member_id: int) -> int:
    """0..9999, stable per campaign and member: below holdout_bp means holdout."""
    digest = hashlib.sha256(f"{campaign_code}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000


def in_holdout(campaign: Campaign, member_id: int) -> bool:
    """Whether the member is in the campaign's holdout (gets nothing)."""
    return holdout_bucket(campaign.code, member_id) < campaign.holdout_bp


def _segment_exists(session: Session, segment_id: int) -> bool:
    from hub.models.crm import Segment  # the segments helper's table

    return session.get(Segment, segment_id) is not None


def segment_members(session: Session, segment_id: int, *, at: datetime) -> list[int]:
    """The segment's members now, from the segments service (issue 13, other half)."""
    from hub.crm.segments import segment_member_ids  # evaluated set-based by that module

    return list(segment_member_ids(session, segment_id, at=at))


def create_campaign(session: Session, *, data: CampaignInput, actor: str,
                    now: datetime | None = None) -> Campaign:
    """Save a draft campaign; refused with the field and reason, nothing written."""
    if session.exec(select(Campaign.id).where(Campaign.code == data.code)).first() is not None:
        raise ConflictError(f"a campaign with code {data.code!r} exists", field="code")
    if not _segment_exists(session, data.segment_id):
        raise InvalidInputError(f"segment {data.segment_id} does not exist", field="segment_id")
    if data.coupon_template_id is not None:
        template = session.get(CouponTemplate, data.coupon_template_id)
        if template is None or not template.active:
            raise InvalidInputError(
                f"coupon template {data.coupon_template_id} does not exist or is switched off",
                field="coupon_template_id")
    campaign = Campaign(
        code=data.code, name=data.name, segment_id=data.segment_id,
        coupon_template_id=data.coupon_template_id, message_zh=data.message_zh,
        message_en=data.message_en, channels=list(data.channels),
        holdout_bp=data.holdout_percent * 100, starts_at=data.starts_at, ends_at=data.ends_at,
        frequency_cap=data.frequency_cap, allow_overlap=data.allow_overlap, created_by=actor,
        created_at=now or utcnow())
    session.add(campaign)
    session.flush()
    record_audit(session, actor=actor, action="crm.campaign.create", entity="crm_campaign",
                 entity_id=campaign.id or 0, at=now, after={"code": data.code})
    session.commit()
    session.refresh(campaign)
    return campaign


@dataclass(frozen=True)
class Targeting:
    """Who a launch reached and who it left out, and why."""

    segment: int
    no_consent: int
    capped: int
    overlapping: int
    treatment: int
    holdout: int
    coupons: int


def _consenting(session: Session, member_ids: Sequence[int]) -> list[int]:
    if not member_ids:
        return []
    found: list[int] = []
    ids = list(dict.fromkeys(member_ids))
    for i in range(0, len(ids), 500):
        found += [m for m in session.exec(select(Member.id).where(
            col(Member.id).in_(ids[i:i + 500]), col(Member.active).is_(True),
            col(Member.consent_marketing_at).is_not(None))).all() if m is not None]
    return sorted(found)


def _received_recently(session: Session, campaign: Campaign, now: datetime) -> dict[int, int]:
    rows = session.exec(
        select(CampaignMember.member_id, func.count())
        .join(Campaign, col(Campaign.id) == col(CampaignMember.campaign_id))
        .where(CampaignMember.arm == "treatment", Campaign.id != campaign.id,
               col(Campaign.launched_at) >= now - CAP_WINDOW)
        .group_by(col(CampaignMember.member_id))).all()
    return {m: int(n) for m, n in rows}


def _in_overlapping_coupon_campaigns(session: Session, campaign: Campaign) -> set[int]:
    rows = session.exec(
        select(CampaignMember.member_id)
        .join(Campaign, col(Campaign.id) == col(CampaignMember.campaign_id))
        .where(CampaignMember.arm == "treatment", Campaign.id != campaign.id,
               col(Campaign.coupon_template_id).is_not(None), Campaign.status == "launched",
               Campaign.starts_at < campaign.ends_at, Campaign.ends_at > campaign.starts_at)
    ).all()
    return set(rows)


def enrol(session: Session, campaign: Campaign, candidates: Sequence[int], *, now: datetime,
          actor: str) -> Targeting:
    """Apply consent, the cap and overlap, split the rest, issue and queue; flush only.

    Members already in the campaign are skipped, so running it again (an automation every
    day) adds only newcomers.
    """
    assert campaign.id is not None
    already = set(session.exec(select(CampaignMember.member_id).where(
        CampaignMember.campaign_id == campaign.id)).all())
    fresh = [m for m in dict.fromkeys(candidates) if m not in already]
    consenting = _consenting(session, fresh)
    received = _received_recently(session, campaign, now)
    uncapped = [m for m in consenting if received.get(m, 0) < campaign.frequency_cap]
    overlap: set[int] = set()
    if campaign.coupon_template_id is not None and not campaign.allow_overlap:
        overlap = _in_overlapping_coupon_campaigns(session, campaign)
    chosen = [m for m in uncapped if m not in overlap]
    holdout = [m for m in chosen if in_holdout(campaign, m)]
    treatment = [m for m in chosen if not in_holdout(campaign, m)]
    offer = None
    coupons: dict[int, int] = {}
    if campaign.coupon_template_id is not None and treatment:
        offer = session.get(CouponTemplate, campaign.coupon_template_id)
        issued = issue_for_campaign(
            session=session, template_id=campaign.coupon_template_id, member_ids=treatment,
            campaign_code=campaign.code, valid_from=max(campaign.starts_at, now), now=now,
            actor=actor)
        coupons = {m: c.id for m, c in issued.items() if c.id is not None}
    session.add_all([CampaignMember(campaign_id=campaign.id, member_id=m, arm="holdout",
                                    created_at=now) for m in holdout])
    session.add_all([CampaignMember(campaign_id=campaign.id, member_id=m, arm="treatment",
                                    coupon_id=coupons.get(m), created_at=now)
                     for m in treatment])
    delivery = Delivery(campaign=campaign, member_ids=treatment, offer=offer, now=now)
    for code in campaign.channels:
        channel = CHANNELS.get(code)
        if channel is not None:
            channel.deliver(session, delivery)
    session.flush()
    return Targeting(segment=len(fresh), no_consent=len(fresh) - len(consenting),
                     capped=len(consenting) - len(uncapped),
                     overlapping=len(uncapped) - len(chosen), treatment=len(treatment),
                     holdout=len(holdout), coupons=len(coupons))


def launch_campaign(session: Session, *, campaign_id: int, actor: str,
                    now: datetime | None = None) -> Targeting:
    """Launch a draft: target its segment now and queue the treatment's messages; committed."""
    now = now or utcnow()
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} not found")
    if campaign.status != "draft":
        raise ConflictError("the campaign is launched already", field="status")
    if campaign.ends_at <= now:
        raise ConflictError("the campaign's window is over; change the dates first",
                            field="ends_at")
    if campaign.segment_id is None:
        raise InvalidInputError("the campaign has no segment", field="segment_id")
    if campaign.coupon_template_id is not None:
        template = session.get(CouponTemplate, campaign.coupon_template_id)
        if template is None or not template.active:
            raise ConflictError("the campaign's coupon template is switched off",
                                field="coupon_template_id")
    members = segment_members(session, campaign.segment_id, at=now)
    campaign.status, campaign.launched_at, campaign.launched_by = "launched", now, actor
    session.add(campaign)
    session.flush()
    result = enrol(session, campaign, members, now=now, actor=actor)
    record_audit(session, actor=actor, action="crm.campaign.launch", entity="crm_campaign",
                 entity_id=campaign_id, at=now,
                 after={"treatment": result.treatment, "holdout": result.holdout,
                        "no_consent": result.no_consent, "capped": result.capped,
                        "overlapping": result.overlapping})
    session.commit()
    log.info("campaign %s launched: %s", campaign.code, result)
    return result


def list_campaigns(session: Session, *, limit: int = 50, offset: int = 0
                   ) -> tuple[list[Campaign], int]:
    """Campaigns, newest first, and how many there are."""
    total = session.exec(select(func.count()).select_from(Campaign)).one()
    rows = session.exec(select(Campaign).order_by(col(Campaign.id).desc())
                        .limit(limit).offset(offset)).all()
    return list(rows), int(total)


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    """One campaign or NotFoundError."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} not found")
    return campaign


def member_campaigns(session: Session, *, member_id: int) -> list[tuple[Campaign, str]]:
    """The campaigns a member was chosen for, newest first, with the arm (profile page)."""
    rows = session.exec(
        select(Campaign, CampaignMember.arm)
        .join(CampaignMember, col(CampaignMember.campaign_id) == col(Campaign.id))
        .where(CampaignMember.member_id == member_id)
        .order_by(col(Campaign.launched_at).desc())).all()
    return [(c, arm) for c, arm in rows]
