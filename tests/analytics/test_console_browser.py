"""The operations console in headless Chromium: log in, filter orders, open one, download a CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from hub.models import Role, UserCreate
from hub.services.users import create_user
from tests.analytics.conftest import EXPECTED_INCOME, seed_orders
from tests.support.browser import (
    BROWSER_TEST,
    RunningHub,
    log_in,
    new_page,
    served_hub,
    shoot,
)

MANAGER = ("lin", "manager-password-1")

pytestmark = BROWSER_TEST


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    """A real hub (uvicorn thread, SQLite) with the analytics orders ingested and a manager."""
    with served_hub(tmp_path / "hub") as (app, url):
        seed_orders(app.state.engine)
        with Session(app.state.engine) as session:
            create_user(session=session, data=UserCreate(
                username=MANAGER[0], password=MANAGER[1], role=Role.MANAGER))
        yield RunningHub(url=url, engine=app.state.engine)


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("zh-CN", "zh")])
def test_manager_filters_orders_opens_one_and_downloads_income(
    hub: RunningHub, browser: Browser, artifacts: Path, locale: str, lang: str
) -> None:
    page = new_page(browser, locale)
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}/admin/console/orders")
    expect(page.get_by_test_id("orders").locator("tbody tr")).to_have_count(6)
    page.select_option("#site", "site1")
    page.fill("#device", "k2")
    page.get_by_test_id("order-filters").locator("button[type=submit]").click()
    rows = page.get_by_test_id("orders").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("A005")
    shoot(page, artifacts, f"console-orders-{lang}")

    rows.filter(has_text="A003").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/admin/console/orders/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("order-lines")).to_contain_text(
        "Braised pork" if lang == "en" else "红烧肉")
    expect(page.get_by_test_id("order-payments")).to_contain_text("￥20.00")
    shoot(page, artifacts, f"console-order-{lang}")

    page.goto(f"{hub.url}/admin/console/money")
    page.fill("#start", "2025-03-01")
    page.fill("#end", "2025-03-31")
    page.get_by_test_id("income-filters").locator("button[type=submit]").click()
    expect(page.get_by_test_id("income-total")).to_have_text("￥100.00")
    shoot(page, artifacts, f"console-income-{lang}")
    with page.expect_download() as info:
        page.get_by_test_id("download-csv").click()
    text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    rows_csv = list(csv.reader(io.StringIO(text)))
    per_day = {(r[0], r[1]): round(float(r[-1]) * 100) for r in rows_csv[1:-1]}
    assert per_day == {k: sum(v.values()) for k, v in EXPECTED_INCOME.items()}
    page.context.close()
