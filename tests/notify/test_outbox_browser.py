"""The notifications page in headless Chromium, both languages: a manager opens the outbox,
filters it to suppressed messages and back (screenshots notify-outbox-zh/en.png)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from hub.models import Role, UserCreate
from hub.services.users import create_user
from tests.notify.conftest import fill_outbox
from tests.support.browser import BROWSER_TEST, RunningHub, log_in, new_page, served_hub, shoot

MANAGER = ("nina", "manager-password-1")

pytestmark = BROWSER_TEST


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    with served_hub(tmp_path / "hub") as (app, url):
        noon = datetime.now(UTC).replace(hour=4, minute=0, second=0, microsecond=0)
        fill_outbox(app.state.engine, noon)
        with Session(app.state.engine) as s:
            create_user(session=s, data=UserCreate(username=MANAGER[0], password=MANAGER[1],
                                                   role=Role.MANAGER))
        yield RunningHub(url=url, engine=app.state.engine)


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("zh-CN", "zh")])
def test_the_outbox_with_its_delivery_log(hub: RunningHub, browser: Browser, artifacts: Path,
                                          locale: str, lang: str) -> None:
    page = new_page(browser, locale)
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}/admin/notify/outbox")
    rows = page.get_by_test_id("outbox").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(page.get_by_test_id("delivery-log").locator("tbody tr")).to_have_count(3)
    shoot(page, artifacts, f"notify-outbox-{lang}")
    filters = page.get_by_test_id("notify-filters")
    filters.locator("#state").select_option("suppressed")
    filters.locator("button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(page.locator('tr[data-state="suppressed"]')).to_have_count(1)
    filters = page.get_by_test_id("notify-filters")
    filters.locator("#state").select_option("")
    filters.locator("#kind").select_option("low_balance")
    filters.locator("button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(page.locator('tr[data-kind="low_balance"]')).to_have_count(1)
