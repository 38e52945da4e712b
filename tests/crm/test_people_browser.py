"""The CRM people pages in headless Chromium, both languages: a manager finds a member by
tag and reads the profile (tags with their evidence), writes a rule and dry-runs it, sees a
bad rule refused with the field and the reason, and builds a segment with its live count
(screenshots crm-profile-*, crm-rules-*, crm-segment-*)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from hub.accounts.stored_value import top_up
from hub.crm import jobs
from hub.models import Member, Role, UserCreate
from hub.services.users import create_user
from tests.support import crm_data
from tests.support.browser import BROWSER_TEST, RunningHub, log_in, new_page, served_hub, shoot
from tests.support.crm_data import AT, LONG_WINDOW_RULE

MANAGER = ("lan", "manager-password-1")

pytestmark = BROWSER_TEST


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    """A served hub with the CRM history (tagged and scored at its frozen time), a manager."""
    with served_hub(tmp_path / "hub") as (app, url):
        engine = app.state.engine
        with engine.begin() as conn:
            history = crm_data.build(conn)
            conn.execute(sa.update(Member.__table__)  # type: ignore[attr-defined]
                         .where(Member.__table__.c.id == history.members["spicy"])  # type: ignore[attr-defined]
                         .values(name="王小辣 Wang Xiaola", department="研发部 R&D",
                                 employer="星河科技", birthday=date(1994, 8, 17),
                                 dietary_preferences=["halal"], allergens=["peanut"],
                                 consent_data_at=datetime(2026, 1, 5, tzinfo=UTC),
                                 consent_marketing_at=datetime(2026, 1, 5, tzinfo=UTC)))
        with Session(engine) as s:
            top_up(s, member_id=history.members["spicy"], amount_cents=20000, method="wechat",
                   actor="desk", at=AT)
            s.commit()
            jobs.full_refresh(s, at=AT)
            create_user(session=s, data=UserCreate(username=MANAGER[0], password=MANAGER[1],
                                                   role=Role.MANAGER))
        yield RunningHub(url=url, engine=engine)


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("zh-CN", "zh")])
def test_profile_rules_and_segment_builder(hub: RunningHub, browser: Browser, artifacts: Path,
                                           locale: str, lang: str) -> None:
    page = new_page(browser, locale)
    log_in(page, hub, MANAGER)

    # Find a member by tag, open the profile: tags with their rule and evidence orders.
    page.goto(f"{hub.url}/admin/crm/members")
    search = page.get_by_test_id("member-search")
    search.locator("#by").select_option("tag")
    search.locator("#q").fill("likes_spicy")
    search.locator("button[type=submit]").click()
    hits = page.get_by_test_id("member-hits").locator("tbody tr")
    expect(hits).to_have_count(1)
    hits.first.locator("a").first.click()
    expect(page.get_by_test_id("profile-name")).to_contain_text("王小辣")
    spicy = page.locator('[data-tag="likes_spicy"]')
    expect(spicy.get_by_test_id("tag-evidence").locator("code")).to_have_count(3)
    expect(page.get_by_test_id("profile-churn")).to_be_visible()
    shoot(page, artifacts, f"crm-profile-{lang}")

    # Write a rule, dry-run it (nothing saved), then a bad one is refused with the field.
    page.get_by_test_id("crm-nav").locator("a").nth(1).click()
    form = page.get_by_test_id("rule-form")
    form.locator("#code").fill(f"long_regular_{lang}")
    form.locator("#name_zh").fill("老常客")
    form.locator("#name_en").fill("Long-time regular")
    form.locator("#definition").fill(LONG_WINDOW_RULE)
    page.get_by_test_id("dry-run").click()
    expect(page.get_by_test_id("dry-run-count")).to_contain_text(re.compile(r"\b2\b"))
    expect(page.get_by_test_id("dry-run-result").locator("li")).to_have_count(2)
    expect(page.locator(f'tr[data-rule="long_regular_{lang}"]')).to_have_count(0)
    shoot(page, artifacts, f"crm-rules-{lang}")
    form.locator("#definition").fill(LONG_WINDOW_RULE.replace('"value": 10', '"value": -3'))
    page.get_by_test_id("save-rule").click()
    expect(page.get_by_test_id("rule-error")).to_contain_text("value")
    expect(page.get_by_test_id("rule-error")).to_contain_text("0")
    expect(page.locator(f'tr[data-rule="long_regular_{lang}"]')).to_have_count(0)
    form.locator("#definition").fill(LONG_WINDOW_RULE)
    page.get_by_test_id("save-rule").click()
    expect(page.get_by_test_id("rule-saved")).to_be_visible()
    expect(page.locator(f'tr[data-rule="long_regular_{lang}"]')
           .get_by_test_id("rule-members")).to_have_text("2")

    # Build a segment: the count follows the choices live, then count, sample and save.
    page.get_by_test_id("crm-nav").locator("a").nth(2).click()
    builder = page.get_by_test_id("segment-form")
    builder.locator("#name").fill("常客或流失 Regulars or fading")
    builder.locator('select[name="tags_mode"]').select_option("any")
    builder.locator('input[name="tags"][value="monthly_regular"]').check()
    builder.locator('input[name="tags"][value="churn_risk"]').check()
    expect(page.get_by_test_id("live-count")).to_have_attribute("data-count", "2")
    builder.locator('input[name="without_tags"][value="weekday_lunch_regular"]').check()
    expect(page.get_by_test_id("live-count")).to_have_attribute("data-count", "1")
    page.get_by_test_id("count-segment").click()
    expect(page.get_by_test_id("segment-sample").locator("li")).to_have_count(1)
    shoot(page, artifacts, f"crm-segment-{lang}")
    page.get_by_test_id("save-segment").click()
    expect(page.get_by_test_id("segment-saved")).to_be_visible()
    expect(page.locator('[data-segment="常客或流失 Regulars or fading"]')).to_contain_text("1")
