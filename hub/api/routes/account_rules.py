"""/subsidy-rules, /tiers, /topup-bonus-rules and /account-jobs: managers and admins only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from hub.accounts import bonus_rules, subsidies, tiers
from hub.accounts import jobs as account_jobs
from hub.api.deps import EDITORS, CurrentUser, SessionDep, require_role
from hub.api.params import IdPath
from hub.db_types import utcnow
from hub.models.account_api import BonusRuleActiveIn, JobIn
from hub.models.account_rules import (
    SubsidyRuleCreate,
    SubsidyRulePublic,
    SubsidyRuleUpdate,
    TierCreate,
    TierPublic,
    TierUpdate,
    TopupBonusRuleCreate,
    TopupBonusRulePublic,
)

router = APIRouter(dependencies=[require_role(*EDITORS)])
rules = APIRouter(prefix="/subsidy-rules", tags=["subsidies"])
tier_router = APIRouter(prefix="/tiers", tags=["tiers"])
bonus = APIRouter(prefix="/topup-bonus-rules", tags=["accounts"])
jobs = APIRouter(prefix="/account-jobs", tags=["accounts"])


def _sub(rule: Any) -> SubsidyRulePublic:
    return SubsidyRulePublic.model_validate(rule, from_attributes=True)


@rules.get("", response_model=list[SubsidyRulePublic])
def list_subsidy_rules(session: SessionDep) -> list[SubsidyRulePublic]:
    """Every subsidy rule."""
    return [_sub(r) for r in subsidies.list_rules(session)]


@rules.post("", response_model=SubsidyRulePublic, status_code=status.HTTP_201_CREATED)
def create_subsidy_rule(
    session: SessionDep, user: CurrentUser, data: SubsidyRuleCreate
) -> SubsidyRulePublic:
    """Create a subsidy rule."""
    return _sub(subsidies.create_rule(session, data=data, actor=user.username, at=utcnow()))


@rules.get("/{rule_id}", response_model=SubsidyRulePublic)
def get_subsidy_rule(session: SessionDep, rule_id: IdPath) -> SubsidyRulePublic:
    """One subsidy rule."""
    return _sub(subsidies.get_rule(session, rule_id=rule_id))


@rules.patch("/{rule_id}", response_model=SubsidyRulePublic)
def update_subsidy_rule(
    session: SessionDep, user: CurrentUser, rule_id: IdPath, data: SubsidyRuleUpdate
) -> SubsidyRulePublic:
    """Change a subsidy rule (grants already made keep their amount)."""
    rule = subsidies.update_rule(
        session, rule_id=rule_id, data=data, actor=user.username, at=utcnow()
    )
    return _sub(rule)


@rules.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subsidy_rule(session: SessionDep, user: CurrentUser, rule_id: IdPath) -> Response:
    """Delete a rule that never granted anything."""
    subsidies.delete_rule(session, rule_id=rule_id, actor=user.username, at=utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _tier(tier: Any) -> TierPublic:
    return TierPublic.model_validate(tier, from_attributes=True)


@tier_router.get("", response_model=list[TierPublic])
def list_tiers(session: SessionDep) -> list[TierPublic]:
    """Every tier definition, lowest rank first."""
    return [_tier(t) for t in tiers.list_tiers(session)]


@tier_router.post("", response_model=TierPublic, status_code=status.HTTP_201_CREATED)
def create_tier(session: SessionDep, user: CurrentUser, data: TierCreate) -> TierPublic:
    """Define a tier."""
    return _tier(tiers.create_tier(session, data=data, actor=user.username, at=utcnow()))


@tier_router.patch("/{tier_id}", response_model=TierPublic)
def update_tier(
    session: SessionDep, user: CurrentUser, tier_id: IdPath, data: TierUpdate
) -> TierPublic:
    """Change a tier's thresholds or benefits."""
    tier = tiers.update_tier(session, tier_id=tier_id, data=data, actor=user.username, at=utcnow())
    return _tier(tier)


@tier_router.delete("/{tier_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tier(session: SessionDep, user: CurrentUser, tier_id: IdPath) -> Response:
    """Delete a tier nobody holds."""
    tiers.delete_tier(session, tier_id=tier_id, actor=user.username, at=utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@bonus.get("", response_model=list[TopupBonusRulePublic])
def list_bonus_rules(session: SessionDep) -> list[TopupBonusRulePublic]:
    """Every top-up bonus rule."""
    return [
        TopupBonusRulePublic.model_validate(r, from_attributes=True)
        for r in bonus_rules.list_bonus_rules(session)
    ]


@bonus.post("", response_model=TopupBonusRulePublic, status_code=status.HTTP_201_CREATED)
def create_bonus_rule(
    session: SessionDep, user: CurrentUser, data: TopupBonusRuleCreate
) -> TopupBonusRulePublic:
    """Create a top-up bonus rule."""
    rule = bonus_rules.create_bonus_rule(session, data=data, actor=user.username, at=utcnow())
    return TopupBonusRulePublic.model_validate(rule, from_attributes=True)


@bonus.put("/{rule_id}/active", response_model=TopupBonusRulePublic)
def set_bonus_rule_active(
    session: SessionDep, user: CurrentUser, rule_id: IdPath, data: BonusRuleActiveIn
) -> TopupBonusRulePublic:
    """Switch a top-up bonus rule on or off."""
    rule = bonus_rules.set_bonus_rule_active(
        session, rule_id=rule_id, active=data.active, actor=user.username, at=utcnow()
    )
    return TopupBonusRulePublic.model_validate(rule, from_attributes=True)


@jobs.post("/{job}")
def run_job(session: SessionDep, user: CurrentUser, job: str, data: JobIn) -> dict[str, Any]:
    """Run a scheduled job now (or as of `at`); each is idempotent for its period."""
    done = account_jobs.run_job(session, job=job, at=data.at or utcnow(), actor=user.username)
    return {"job": job, **done}


router.include_router(rules)
router.include_router(tier_router)
router.include_router(bonus)
router.include_router(jobs)
