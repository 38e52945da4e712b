"""The operations console in headless Chromium: log in, filter orders, open one, download a CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect
from sqlmodel import Session, col, select

from hub.analytics.inputs import date_range, placed_in_site_days, resolve_sites
from hub.models import Order, Role, Site, UserCreate
from hub.recommend.history import seed_order_history
from hub.seed import seed_demo
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
DEMO_NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # the history ends the day before

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


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("zh-CN", "zh")])
def test_dashboard_draws_its_charts_from_the_orders(
    hub: RunningHub, browser: Browser, artifacts: Path, locale: str, lang: str
) -> None:
    page = new_page(browser, locale)
    page.set_viewport_size({"width": 1280, "height": 2400})
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}/admin/console/dashboard?start=2025-03-03&end=2025-03-04")
    # The vendored ECharts drew every chart card as SVG (no CDN: nothing else is reachable).
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", re.compile(r"^1[0-9]$"))
    expect(page.get_by_test_id("chart-sales-by-dish").locator("svg")).to_have_count(1)
    expect(page.get_by_test_id("chart-sales-by-dish")).to_contain_text(
        "Braised pork" if lang == "en" else "红烧肉")
    expect(page.get_by_test_id("kpi-2")).to_have_text("￥100.00")
    shoot(page, artifacts, f"console-dashboard-{lang}")
    page.get_by_test_id("chart-card-staffing").scroll_into_view_if_needed()
    with page.expect_download() as info:
        page.get_by_test_id("csv-sales-by-dish").click()
    text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    assert ("Braised pork" if lang == "en" else "红烧肉") in text
    page.goto(f"{hub.url}/admin/console/mining?start=2025-03-03&end=2025-03-04&support=0.2")
    expect(page.get_by_test_id("rules").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("rules")).to_contain_text(
        "Offer Braised pork + Rice as a set meal" if lang == "en" else "推出套餐：红烧肉 + 米饭")
    shoot(page, artifacts, f"console-mining-{lang}")
    page.context.close()


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("zh-CN", "zh")])
def test_dashboard_on_the_demo_sites_four_weeks(
    tmp_path: Path, browser: Browser, artifacts: Path, locale: str, lang: str
) -> None:
    """The README's dashboard: the demo's seeded canteens with eight weeks of orders."""
    with served_hub(tmp_path / "hub") as (app, url):
        engine = app.state.engine
        with Session(engine) as session:
            seed_demo(session, seed=42, cipher=app.state.cipher)
            create_user(session=session, data=UserCreate(
                username=MANAGER[0], password=MANAGER[1], role=Role.MANAGER))
            site = session.exec(select(Site.code).order_by(col(Site.id))).first()
        assert site is not None
        # Eight weeks, so the previous four weeks are there to compare with.
        written = seed_order_history(engine, site, days=56, now=DEMO_NOW)
        assert written > 1_000
        page = new_page(browser, locale)
        page.set_viewport_size({"width": 1280, "height": 1500})
        log_in(page, RunningHub(url=url, engine=engine), MANAGER)
        page.goto(f"{url}/admin/console/dashboard?start=2026-11-08&end=2026-12-05")
        expect(page.locator("body")).to_have_attribute("data-charts-drawn", re.compile(r"^1[0-9]$"))
        with Session(engine) as session:
            sites = resolve_sites(session, None)
            shown = session.exec(select(sa.func.count()).select_from(Order).where(
                placed_in_site_days(date_range("2026-11-08", "2026-12-05"), sites))).one()
        assert 1_000 < shown <= written
        expect(page.get_by_test_id("kpi-1")).to_have_text(str(shown))
        # The README shows the first screen (figures, days, dishes, categories, sites).
        shoot(page, artifacts, f"console-dashboard-demo-{lang}", full_page=False)
        page.context.close()


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("zh-CN", "zh")])
def test_refunds_liability_and_month_close_pages(
    hub: RunningHub, browser: Browser, artifacts: Path, locale: str, lang: str
) -> None:
    from hub.accounts.refunds import refund_order

    with Session(hub.engine) as session:
        b001 = session.exec(select(Order.id).where(Order.order_no == "B001")).one()
        refund_order(session, order_id=b001, reason="wrong dish", actor="lin",
                     at=datetime(2025, 3, 5, 3, 0, tzinfo=UTC))
    page = new_page(browser, locale)
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}/admin/console/refunds?start=2025-03-01&end=2025-03-31")
    expect(page.get_by_test_id("refunds-total")).to_have_text("￥12.00")  # subsidy 10 + 2
    shoot(page, artifacts, f"console-refunds-{lang}")
    page.goto(f"{hub.url}/admin/console/liability?day=2025-03-05")
    # 3 x ￥100 topped up, ￥25 spent from stored value, ￥2 of it refunded on 5 March.
    expect(page.get_by_test_id("liability-total")).to_have_text("￥277.00")
    shoot(page, artifacts, f"console-liability-{lang}")
    page.goto(f"{hub.url}/admin/console/month-close?month=2025-03")
    expect(page.get_by_test_id("close-state")).to_be_visible()
    expect(page.get_by_test_id("close-balanced")).to_be_visible()
    shoot(page, artifacts, f"console-close-{lang}")
    page.context.close()
