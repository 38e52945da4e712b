"""Campaign results: the uplift interval on data with a known answer, its coverage over
simulated campaigns, and reach, redemptions and uplift measured from ingested orders."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from hub.crm.campaign_results import campaign_results, uplift_interval
from hub.crm.campaigns import CampaignInput, create_campaign, launch_campaign
from hub.crm.segments import save_segment
from hub.models.crm_campaigns import CampaignMember
from protocol import new_order_id
from tests.support.crm_cases import (
    RICE,
    World,
    envelope,
    fresh_engine,
    migrated_template,
    placed,
    seed_world,
    write_ok,
)

NOW = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def test_the_interval_of_a_constructed_data_set_is_the_hand_computed_one() -> None:
    treatment = [2.0, 4.0] * 10  # mean 3, sample variance 20/19
    holdout = [1.0] * 10 + [2.0] * 10  # mean 1.5, sample variance 5/19
    got = uplift_interval(treatment, holdout)
    half = 1.959964 * math.sqrt((20 / 19) / 20 + (5 / 19) / 20)
    assert (got.treatment_mean, got.holdout_mean, got.uplift) == (3.0, 1.5, 1.5)
    assert got.low == pytest.approx(1.5 - half, abs=1e-5)
    assert got.high == pytest.approx(1.5 + half, abs=1e-5)
    assert got.significant
    # one member in an arm: no interval rather than a made-up one
    assert uplift_interval([3.0], holdout).low is None


def test_the_interval_covers_the_true_uplift_about_95_times_in_100() -> None:
    rng = random.Random(13)
    covered = 0
    for _ in range(400):
        t = [rng.gauss(4.0, 2.0) for _ in range(120)]
        h = [rng.gauss(3.0, 2.0) for _ in range(60)]
        i = uplift_interval(t, h)
        covered += i.low is not None and i.high is not None and i.low <= 1.0 <= i.high
    assert 0.92 <= covered / 400 <= 0.98


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> World:
    template = migrated_template(tmp_path_factory.mktemp("crm-results-db"))
    return seed_world(fresh_engine(template, tmp_path), members=24)


def test_results_count_reach_redemptions_and_the_uplift_of_visits_and_spend(
        world: World) -> None:
    with Session(world.engine) as s:
        seg = save_segment(s, name="all", actor="t", definition={
            "kind": "metric", "metric": "visits", "window_days": 30, "op": ">=", "value": 0})
        s.commit()
        campaign = create_campaign(s, actor="mgr", now=NOW, data=CampaignInput(
            code="spring", name="Spring", segment_id=seg.id or 0,
            coupon_template_id=world.template_id, message_zh="春季特惠", message_en="Spring treat",
            channels=["kiosk"], holdout_percent=50, starts_at=NOW,
            ends_at=NOW + timedelta(days=7)))
        launch_campaign(s, campaign_id=campaign.id or 0, actor="mgr", now=NOW)
        members = list(s.exec(select(CampaignMember).where(
            CampaignMember.campaign_id == campaign.id)))
    nos = {v: k for k, v in world.members.items()}
    treated = [m for m in members if m.arm == "treatment"]
    held = [m for m in members if m.arm == "holdout"]
    assert len(treated) >= 6 and len(held) >= 6
    batch = []
    # Treatment: three visits each in the window, the first one paid with the coupon;
    # holdout: one visit each, and one visit after the window that must not count.
    for i, m in enumerate(treated):
        for day in range(3):
            at = NOW + timedelta(days=day, hours=3)
            if day == 0 and i < 2:  # two members use the coupon
                oid = new_order_id()
                batch.append(envelope("order.placed", {
                    "order_id": oid, "order_no": f"T{i}{day}", "placed_at": at,
                    "meal_period": "lunch", "member_id": nos[m.member_id],
                    "lines": [{"dish_id": "rice", "name_zh": "米饭", "name_en": "Rice",
                               "qty": 1, "unit_price_cents": 700, "line_total_cents": 700,
                               "station": "main"}],
                    "subtotal_cents": 700, "total_cents": 700,
                    "payments": [{"method": "coupon", "amount_cents": 500,
                                  "reference": str(m.coupon_id)},
                                 {"method": "counter", "amount_cents": 200}],
                    "paid": False}, sent_at=at))
            else:
                batch.append(placed(f"T{i}{day}", nos[m.member_id], at, [RICE])[1])
    for i, m in enumerate(held):
        batch.append(placed(f"H{i}", nos[m.member_id], NOW + timedelta(hours=5), [RICE])[1])
        batch.append(placed(f"L{i}", nos[m.member_id], NOW + timedelta(days=9), [RICE])[1])
    write_ok(world, batch)
    with Session(world.engine) as s:
        r = campaign_results(s, campaign_id=campaign.id or 0, now=NOW + timedelta(days=10))
    assert r.finished and (r.treatment, r.holdout) == (len(treated), len(held))
    assert (r.reached, r.coupons, r.redemptions) == (len(treated), len(treated), 2)
    assert (r.visits.treatment_mean, r.visits.holdout_mean, r.visits.uplift) == (3.0, 1.0, 2.0)
    assert r.visits.low == r.visits.high == 2.0  # no spread at all: the interval is a point
    assert r.spend_cents.holdout_mean == 200.0
    assert r.spend_cents.treatment_mean == pytest.approx((3 * 200 * len(treated) + 2 * 500)
                                                          / len(treated))
