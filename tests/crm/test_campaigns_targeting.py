"""Campaign targeting on a real (migrated SQLite) hub: the holdout is stable and has the
share asked for; nobody without marketing consent is targeted; the frequency cap and the
overlap rule leave members out (unless overlap is allowed); an automation adds only
newcomers; a launch queues the greeting that the member cache then carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from hub.crm import automations as auto
from hub.crm.campaign_channels import pending_messages
from hub.crm.campaigns import (
    CampaignInput,
    create_campaign,
    holdout_bucket,
    in_holdout,
    launch_campaign,
)
from hub.crm.segments import save_segment
from hub.errors import ConflictError
from hub.models.coupons import Coupon
from hub.models.crm_campaigns import Campaign, CampaignMember
from tests.support.crm_cases import World, fresh_engine, migrated_template, seed_world

NOW = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
EVERYONE = {"kind": "metric", "metric": "visits", "window_days": 30, "op": ">=", "value": 0}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("crm-campaign-db"))


@pytest.fixture
def world(template: Path, tmp_path: Path) -> World:
    # 30 members, every third without marketing consent
    return seed_world(fresh_engine(template, tmp_path), members=30, consent_every=3)


def _segment(world: World) -> int:
    with Session(world.engine) as s:
        seg = save_segment(s, name="everyone", definition=EVERYONE, actor="test")
        s.commit()
        return seg.id or 0


def _campaign(world: World, code: str, *, coupon: bool = True, holdout: int = 20,
              start: datetime = NOW, days: int = 7, cap: int = 2,
              overlap: bool = False) -> int:
    data = CampaignInput(
        code=code, name=code, segment_id=_segment(world) if code == "first" else 1,
        coupon_template_id=world.template_id if coupon else None, message_zh="本周特惠",
        message_en="This week's treat", channels=["kiosk", "receipt"], holdout_percent=holdout,
        starts_at=start, ends_at=start + timedelta(days=days), frequency_cap=cap,
        allow_overlap=overlap)
    with Session(world.engine) as s:
        return create_campaign(s, data=data, actor="mgr", now=NOW).id or 0


def _arms(world: World, campaign_id: int) -> dict[int, str]:
    with Session(world.engine) as s:
        return {m.member_id: m.arm for m in s.exec(select(CampaignMember).where(
            CampaignMember.campaign_id == campaign_id))}


def test_the_holdout_is_stable_per_member_and_campaign_and_has_the_share_asked() -> None:
    ids = range(1, 20_001)
    share = sum(holdout_bucket("spring", m) < 2_000 for m in ids) / len(ids)
    assert abs(share - 0.20) < 0.01
    assert [holdout_bucket("spring", m) for m in range(50)] == \
        [holdout_bucket("spring", m) for m in range(50)]
    # another campaign draws another holdout: not the same members every time
    other = {m for m in ids if holdout_bucket("autumn", m) < 2_000}
    spring = {m for m in ids if holdout_bucket("spring", m) < 2_000}
    assert 0.1 < len(other & spring) / len(spring) < 0.3


def test_a_launch_targets_consenting_members_and_splits_them_stably(world: World) -> None:
    cid = _campaign(world, "first")
    with Session(world.engine) as s:
        done = launch_campaign(s, campaign_id=cid, actor="mgr", now=NOW)
    assert (done.segment, done.no_consent) == (30, 10)
    arms = _arms(world, cid)
    no_consent = {world.members[f"M{i:03d}"] for i in range(3, 31, 3)}
    assert len(arms) == 20 and not set(arms) & no_consent
    with Session(world.engine) as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        assert all((arm == "holdout") == in_holdout(campaign, m) for m, arm in arms.items())
        # the treatment got a coupon and a greeting for the kiosk; the holdout nothing
        treated = {m for m, arm in arms.items() if arm == "treatment"}
        coupons = {c.member_id for c in s.exec(
            select(Coupon).where(Coupon.source == "campaign"))}
        assert coupons == treated and len(treated) == done.treatment == done.coupons
        waiting = pending_messages(s, now=NOW + timedelta(hours=1))
        assert set(waiting) == treated
        greeting = waiting[min(treated)]
        assert {(m.text_en, m.offer_en, m.on_screen, m.on_receipt) for m in greeting} == {
            ("This week's treat", "5 yuan off", True, False),
            ("This week's treat", "5 yuan off", False, True)}
        with pytest.raises(ConflictError):
            launch_campaign(s, campaign_id=cid, actor="mgr", now=NOW)


def test_the_frequency_cap_and_the_overlap_rule_leave_members_out(world: World) -> None:
    first = _campaign(world, "first", holdout=0)
    second = _campaign(world, "second", coupon=False, holdout=0)
    with Session(world.engine) as s:
        launch_campaign(s, campaign_id=first, actor="mgr", now=NOW)
        launch_campaign(s, campaign_id=second, actor="mgr", now=NOW)
    # cap 2: everyone has had two campaigns this month
    capped = _campaign(world, "third", coupon=False, holdout=0)
    with Session(world.engine) as s:
        done = launch_campaign(s, campaign_id=capped, actor="mgr", now=NOW)
    assert (done.capped, done.treatment) == (20, 0)
    # a coupon campaign overlapping "first" (a coupon campaign): left out unless allowed
    clash = _campaign(world, "fourth", cap=5, start=NOW + timedelta(days=3), holdout=0)
    allowed = _campaign(world, "fifth", cap=5, start=NOW + timedelta(days=3), holdout=0,
                        overlap=True)
    later = _campaign(world, "sixth", cap=5, start=NOW + timedelta(days=10), holdout=0)
    with Session(world.engine) as s:
        assert launch_campaign(s, campaign_id=clash, actor="mgr", now=NOW).overlapping == 20
        assert launch_campaign(s, campaign_id=allowed, actor="mgr", now=NOW).treatment == 20
        assert launch_campaign(s, campaign_id=later, actor="mgr", now=NOW).treatment == 20


def test_an_automation_is_switchable_and_enrols_only_newcomers(world: World) -> None:
    with Session(world.engine) as s:
        assert auto.run_automations(s, now=NOW) == {}  # all off by default
        auto.set_automation(s, code="welcome", enabled=True, holdout_percent=0, actor="mgr")
        first = auto.run_automations(s, now=NOW)["welcome"]
        again = auto.run_automations(s, now=NOW + timedelta(hours=1))["welcome"]
    assert (first.no_consent, first.treatment) == (10, 20)
    # the second run finds no newcomer to add (those without consent are left out again)
    assert (again.segment, again.no_consent, again.treatment) == (10, 10, 0)
