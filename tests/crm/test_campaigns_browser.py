"""Campaigns and complaints in headless Chromium, both languages: a manager launches a
campaign from the form and reads its results, then closes a complaint from the queue
(screenshots crm-campaign-*.png and crm-case-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from hub.crm.segments import save_segment
from hub.models import Role, UserCreate
from hub.services.users import create_user
from tests.support.browser import BROWSER_TEST, RunningHub, log_in, new_page, served_hub, shoot
from tests.support.crm_cases import RICE, World, envelope, placed, seed_world, write_ok

MANAGER = ("mei", "manager-password-1")
NOW = datetime.now(UTC)

pytestmark = BROWSER_TEST


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[RunningHub, World]]:
    """A served hub with members, a segment, two complaints (one overdue) and a manager."""
    with served_hub(tmp_path / "hub") as (app, url):
        world = seed_world(app.state.engine, members=12)
        with Session(app.state.engine) as s:
            save_segment(s, name="All members 全部会员", actor="t", definition={
                "kind": "metric", "metric": "visits", "window_days": 30, "op": ">=",
                "value": 0})
            s.commit()
            create_user(session=s, data=UserCreate(username=MANAGER[0], password=MANAGER[1],
                                                   role=Role.MANAGER))
        late, o1 = placed("A101", "M001", NOW - timedelta(hours=6), [RICE])
        fresh, o2 = placed("A102", "M002", NOW - timedelta(minutes=30), [RICE])
        write_ok(world, [o1, o2])
        write_ok(world, [
            envelope("feedback.given", {"order_id": late, "rating": 2,
                                        "tags": ["foreign_object"], "comment": "有头发 a hair"},
                     sent_at=NOW - timedelta(hours=5)),
            envelope("feedback.given", {"order_id": fresh, "rating": 4, "dishes": [
                {"dish_id": "rice", "rating": 1, "tags": ["too_cold"]}]},
                sent_at=NOW - timedelta(minutes=20))])
        yield RunningHub(url=url, engine=app.state.engine), world


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("zh-CN", "zh")])
def test_launch_a_campaign_and_close_a_complaint(
        hub: tuple[RunningHub, World], browser: Browser, artifacts: Path, locale: str,
        lang: str) -> None:
    running, _ = hub
    page = new_page(browser, locale)
    log_in(page, running, MANAGER)
    page.goto(f"{running.url}/admin/crm/campaigns")
    form = page.get_by_test_id("campaign-form")
    form.locator("#code").fill(f"spring_{lang}")
    form.locator("#name").fill("春季回馈 Spring thanks")
    form.locator("#coupon_template_id").select_option(index=1)
    form.locator("#message_zh").fill("春天快乐，送您一张立减券")
    form.locator("#message_en").fill("Happy spring: a coupon for you")
    form.locator("#starts_at").fill((NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("#ends_at").fill((NOW + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    shoot(page, artifacts, f"crm-campaign-new-{lang}")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("campaign-status")).to_be_visible()
    page.get_by_test_id("launch").click()
    expect(page.get_by_test_id("launched")).to_be_visible()
    expect(page.get_by_test_id("uplift")).to_be_visible()
    shoot(page, artifacts, f"crm-campaign-results-{lang}")
    page.goto(f"{running.url}/admin/crm/cases")
    rows = page.get_by_test_id("cases").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator('tr[data-overdue="yes"]')).to_have_count(1)
    shoot(page, artifacts, f"crm-case-queue-{lang}")
    page.locator('tr[data-overdue="yes"] a').first.click()
    page.get_by_test_id("assign-form").locator("button").click()
    page.get_by_test_id("note-form").locator("textarea").fill("已联系顾客 Called the diner")
    page.get_by_test_id("note-form").locator("button").click()
    resolve = page.get_by_test_id("resolve-form")
    resolve.locator("#resolution").fill("更换了供应商 Changed the rice supplier")
    resolve.locator("#follow_up_zh").fill("抱歉！我们已更换供应商。")
    resolve.locator("#follow_up_en").fill("Sorry! We changed our supplier.")
    resolve.locator("button").click()
    expect(page.get_by_test_id("case")).to_have_attribute("data-status", "resolved")
    expect(page.get_by_test_id("case-notes").locator("li")).to_have_count(3)
    shoot(page, artifacts, f"crm-case-closed-{lang}")
