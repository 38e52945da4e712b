"""A campaign's results: reach, redemptions, and uplift against the holdout with a 95 % CI.

Uplift is the difference of the per-member means (treatment minus holdout) of visits
(orders) and of spend during the campaign window, over every member of each arm
(a member who never came counts as 0). The interval is Welch's: the standard error
sqrt(s_t²/n_t + s_h²/n_h) with the normal 97.5 % quantile (1.96), fine for arms of a few
dozen members or more; with fewer than two members in an arm there is no interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from hub.db_types import utcnow
from hub.models.coupons import Coupon
from hub.models.crm_campaigns import Campaign, CampaignMember, MemberMessage
from hub.models.orders import Order

Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class Interval:
    """A difference of means with its 95 % confidence interval (None: too few members)."""

    treatment_mean: float
    holdout_mean: float
    uplift: float
    low: float | None
    high: float | None

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def _mean_var(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return mean, var


def uplift_interval(treatment: Sequence[float], holdout: Sequence[float]) -> Interval:
    """Treatment minus holdout mean, with Welch's 95 % interval."""
    mt, vt = _mean_var(treatment)
    mh, vh = _mean_var(holdout)
    diff = mt - mh
    if len(treatment) < 2 or len(holdout) < 2:
        return Interval(mt, mh, diff, None, None)
    se = math.sqrt(vt / len(treatment) + vh / len(holdout))
    return Interval(mt, mh, diff, diff - Z95 * se, diff + Z95 * se)


@dataclass(frozen=True)
class CampaignResults:
    """What the campaign page shows after (or during) the window."""

    campaign_id: int
    finished: bool  # the window is over: the figures are final
    treatment: int
    holdout: int
    reached: int  # treatment members whose next visit showed them the message
    coupons: int
    redemptions: int
    visits: Interval
    spend_cents: Interval


def campaign_results(session: Session, *, campaign_id: int,
                     now: datetime | None = None) -> CampaignResults:
    """Reach, redemptions and uplift of visits and spend per member, as of ``now``."""
    now = now or utcnow()
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        from hub.errors import NotFoundError

        raise NotFoundError(f"campaign {campaign_id} not found")
    end = min(now, campaign.ends_at)
    in_window = sa.and_(col(Order.member_id) == col(CampaignMember.member_id),
                        col(Order.placed_at) >= campaign.starts_at, col(Order.placed_at) < end)
    rows = session.exec(
        select(CampaignMember.arm, func.count(col(Order.id)),
               func.coalesce(func.sum(col(Order.total_cents)), 0))
        .select_from(CampaignMember)
        .join(Order, in_window, isouter=True)
        .where(CampaignMember.campaign_id == campaign_id)
        .group_by(col(CampaignMember.member_id), col(CampaignMember.arm))).all()
    visits: dict[str, list[float]] = {"treatment": [], "holdout": []}
    spend: dict[str, list[float]] = {"treatment": [], "holdout": []}
    for arm, n, cents in rows:
        visits.setdefault(arm, []).append(float(n))
        spend.setdefault(arm, []).append(float(cents))
    reached = session.exec(
        select(func.count(func.distinct(col(MemberMessage.member_id))))
        .where(MemberMessage.campaign_id == campaign_id,
               col(MemberMessage.delivered_at).is_not(None))).one()
    coupon_ids = select(CampaignMember.coupon_id).where(
        CampaignMember.campaign_id == campaign_id, col(CampaignMember.coupon_id).is_not(None))
    coupons = session.exec(select(func.count()).where(col(Coupon.id).in_(coupon_ids))).one()
    redeemed = session.exec(select(func.count()).where(
        col(Coupon.id).in_(coupon_ids), col(Coupon.redeemed_at).is_not(None),
        col(Coupon.redeemed_at) < end)).one()
    return CampaignResults(
        campaign_id=campaign_id, finished=now >= campaign.ends_at,
        treatment=len(visits["treatment"]), holdout=len(visits["holdout"]),
        reached=int(reached), coupons=int(coupons), redemptions=int(redeemed),
        visits=uplift_interval(visits["treatment"], visits["holdout"]),
        spend_cents=uplift_interval(spend["treatment"], spend["holdout"]),
    )
