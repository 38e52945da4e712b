"""The demo's finished campaign (hub.crm.demo_campaign): on the seeded canteens and their
general history it is created and launched through the campaign services, its window ended
three days ago, and its results (the function the campaign page and API use) show both
arms, redemptions and an uplift with its 95 % interval; a second run changes nothing; the
campaign page shows the figures in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.app import create_app
from hub.crm.campaign_results import CampaignResults, campaign_results
from hub.crm.demo_campaign import CODE, HOLDOUT_PERCENT, seed_demo_campaign
from hub.models.coupons import Coupon
from hub.models.crm_campaigns import Campaign, CampaignMember, MemberMessage
from hub.models.orders import Order
from hub.models.users import Role
from hub.recommend.history import seed_order_history
from hub.seed import seed_demo
from hub.seed.sites import SITES
from tests.hub.conftest import TEST_PASSWORD, ensure_user, make_settings

SITE = SITES[0].code
# The page computes its results as of the real clock, so the demo is written as of now.
NOW = datetime.now(UTC)


@dataclass
class Demo:
    """The signed-in admin client, the hub's engine and the demo campaign's id."""

    client: TestClient
    engine: Engine
    campaign_id: int
    written: int


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    settings = make_settings(Path(tmp_path_factory.mktemp("demo-campaign")))
    with TestClient(create_app(settings)) as client:
        engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
        with Session(engine) as session:
            seed_demo(session, cipher=client.app.state.cipher)  # type: ignore[attr-defined]
        assert seed_order_history(engine, SITE, now=NOW) > 1000
        written = seed_demo_campaign(engine, SITE, now=NOW)
        with Session(engine) as session:
            campaign = session.exec(select(Campaign).where(Campaign.code == CODE)).one()
        user = ensure_user(client.app, username="demo-boss", role=Role.MANAGER)  # type: ignore[arg-type]
        r = client.post("/admin/login", data={"username": user.username,
                                              "password": TEST_PASSWORD},
                        follow_redirects=False)
        assert r.status_code == 302
        yield Demo(client, engine, campaign.id or 0, written)


def _results(engine: Engine, campaign_id: int) -> CampaignResults:
    with Session(engine) as session:
        return campaign_results(session, campaign_id=campaign_id)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in (Campaign.__table__, CampaignMember.__table__,  # type: ignore[attr-defined]
                          Coupon.__table__, MemberMessage.__table__,  # type: ignore[attr-defined]
                          Order.__table__)}  # type: ignore[attr-defined]


def test_the_demo_campaign_is_over_and_has_results(demo: Demo) -> None:
    assert demo.written > 20
    with Session(demo.engine) as session:
        c = session.get(Campaign, demo.campaign_id)
        assert c is not None
        assert c.status == "launched" and c.launched_at == c.starts_at
        assert timedelta(days=2) < NOW - c.ends_at < timedelta(days=4)
        assert c.holdout_bp == HOLDOUT_PERCENT * 100 and c.coupon_template_id is not None
        assert c.message_zh and c.message_en and "Lunch regulars" in c.name
    r = _results(demo.engine, demo.campaign_id)
    assert r.finished
    assert r.treatment >= 20 and r.holdout >= 5
    assert r.coupons == r.treatment  # every treated member was offered the coupon
    assert 0 < r.redemptions < r.coupons  # some used it, not all
    assert 0 < r.reached <= r.treatment
    for figure in (r.visits, r.spend_cents):
        assert figure.low is not None and figure.high is not None
        assert figure.low < figure.uplift < figure.high
        # Treated members came back more, believably: a fraction of their usual visits.
        assert 0 < figure.uplift < 0.25 * figure.holdout_mean


def test_running_the_demo_history_again_changes_nothing(demo: Demo) -> None:
    before, results = _counts(demo.engine), _results(demo.engine, demo.campaign_id)
    assert seed_demo_campaign(demo.engine, SITE, now=NOW) == 0
    assert seed_demo_campaign(demo.engine, SITE, now=NOW + timedelta(days=1)) == 0
    assert _counts(demo.engine) == before
    assert _results(demo.engine, demo.campaign_id) == results


def test_a_site_that_is_not_there_is_refused(demo: Demo) -> None:
    with pytest.raises(LookupError, match="no site 'nowhere'"):
        seed_demo_campaign(demo.engine, "nowhere", now=NOW)


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Results", "final", "Redemptions", "Visits per member", "95 % interval")),
    ("zh_Hans", ("效果", "最终", "核销", "人均到店次数", "95 % 置信区间"))])
def test_the_campaign_page_shows_the_figures(demo: Demo, lang: str,
                                             words: tuple[str, ...]) -> None:
    r = _results(demo.engine, demo.campaign_id)
    page = demo.client.get(f"/admin/crm/campaigns/{demo.campaign_id}?lang={lang}")
    assert page.status_code == 200
    text = page.text
    assert "午餐常客回馈 · Lunch regulars thank-you" in text
    for word in words:
        assert word in text, word
    assert f"{r.redemptions} / {r.coupons}" in text
    assert f'data-testid="reached">{r.reached}<' in text
    v = r.visits
    assert v.low is not None and v.high is not None
    assert f"{v.uplift:+.2f}" in text
    assert f"{v.low:.2f} … {v.high:.2f}" in text
