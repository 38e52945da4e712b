"""The supply pages in headless Chromium against a real hub, in Chinese and English: stock
with alerts, a refused receipt, waste, recipes, portions, purchasing, traceability."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from hub.ingest.writer import BatchWriter
from hub.models import Role, UserCreate
from hub.models.supply import PortionsIn, ReceiptCreate, WasteCreate, WasteReason
from hub.services.users import create_user
from hub.settings import Settings
from hub.supply import inventory, portions
from tests.support.browser import BROWSER_TEST, RunningHub, log_in, new_page, served_hub, shoot
from tests.support.supply import PERIOD, Canteen, make_canteen, order_message

MANAGER = ("lin", "manager-password-1")
pytestmark = BROWSER_TEST


def seed(c: Canteen) -> None:
    """Two weeks of lunches (back-flushed), deliveries, waste and today's portions."""
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    noon = datetime.combine(today, datetime.min.time(), ZoneInfo("Asia/Shanghai")) \
        .replace(hour=12).astimezone(UTC)
    with Session(c.engine) as s:
        for sup, lines in (
            ("farm", [("chicken", 6000.0, "CK-0301", 2), ("chicken", 5000.0, "CK-0305", 6),
                      ("egg", 120.0, "EG-0304", 12)]),
            ("veg", [("tomato", 8000.0, "TM-0306", 1), ("greens", 4000.0, "GR-0306", 3)]),
            ("grain", [("rice", 25000.0, "RC-0228", 180)])):
            inventory.receive(session=s, actor="clerk", now=noon - timedelta(days=15),
                              data=ReceiptCreate.model_validate({
                                  "site_id": c.site_id, "supplier_id": c.suppliers[sup],
                                  "reference": f"DN-{sup}", "lines": [
                                      {"ingredient_id": c.ingredients[i], "qty": q,
                                       "lot_code": lot, "produced_on": today - timedelta(16),
                                       "expires_on": today + timedelta(days=exp)}
                                      for i, q, lot, exp in lines]}))
    orders = []
    for back in range(14, 0, -1):
        at = noon - timedelta(days=back)
        for k in range(3):
            orders.append(order_message(f"k{1 + k % 2}", at + timedelta(minutes=k), [
                ("d-kungpao", 1 + (back + k) % 2, None), ("d-rice", 1, None),
                ("d-tomato-egg", 1, None)] + ([("d-buffet", 1, 320)] if k == 0 else [])))
    assert {o.result for o in BatchWriter(c.engine).write(orders)} == {"ok"}
    with Session(c.engine) as s:
        inventory.record_waste(session=s, actor="cook", now=noon - timedelta(days=1),
                               data=WasteCreate(site_id=c.site_id,
                                                ingredient_id=c.ingredients["greens"],
                                                qty=400, reason=WasteReason.SPOILED,
                                                note="黄叶 yellow leaves"))
        portions.set_portions(session=s, actor="chef", data=PortionsIn(
            site_id=c.site_id, dish_id=c.dishes["d-kungpao"], service_date=today,
            meal_period=PERIOD, prepared=40))
        create_user(session=s, data=UserCreate(username=MANAGER[0], password=MANAGER[1],
                                               role=Role.MANAGER))


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    data_dir = tmp_path_factory.mktemp("supply-hub")
    seed(make_canteen(Settings(demo_mode=True, data_dir=data_dir)))
    with served_hub(data_dir) as (app, url):
        yield RunningHub(url=url, engine=app.state.engine)


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("en-US", "en")])
def test_supply_pages(browser: Browser, hub: RunningHub, artifacts: Path, locale: str,
                      lang: str) -> None:
    page = new_page(browser, locale)
    log_in(page, hub, MANAGER)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"{hub.url}/admin/supply/stock")
    expect(page.get_by_test_id("on-hand")).to_contain_text("鸡腿肉" if lang == "zh"
                                                           else "Chicken thigh")
    # The tomato lot expires tomorrow: an alert names it.
    expect(page.get_by_test_id("alerts")).to_contain_text("TM-0306")
    shoot(page, artifacts, f"supply-stock-{lang}")

    page.get_by_test_id("tab-receipts").click()
    form = page.get_by_test_id("receipt-form")
    form.locator("#qty").fill("10")
    form.locator("#lot_code").fill("OLD-1")
    form.locator("#expires_on").fill("2020-01-01")
    form.locator("button[type=submit]").click()
    error = page.get_by_test_id("supply-error")
    expect(error).to_contain_text("保质期至" if lang == "zh" else "Expires on")
    expect(page.get_by_test_id("receipts")).not_to_contain_text("OLD-1")
    shoot(page, artifacts, f"supply-receipts-{lang}")

    page.get_by_test_id("tab-waste").click()
    form = page.get_by_test_id("waste-form")
    form.locator("#qty").fill("2")
    form.locator("#reason").select_option("plate")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("supply-notice")).to_be_visible()
    expect(page.get_by_test_id("waste")).to_contain_text("剩饭剩菜" if lang == "zh"
                                                         else "Plate waste")
    shoot(page, artifacts, f"supply-waste-{lang}")

    for tab in ("recipes", "counts", "portions"):
        page.get_by_test_id(f"tab-{tab}").click()
        expect(page.get_by_test_id(tab)).to_be_visible()
        shoot(page, artifacts, f"supply-{tab}-{lang}")
    expect(page.get_by_test_id("portions")).to_contain_text("40")
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    page.goto(f"{hub.url}/admin/supply/trace?start={today - timedelta(days=3)}&end={today}")
    # Chicken of the oldest lot went first; the newer lot followed when it ran out.
    expect(page.get_by_test_id("trace")).to_contain_text("CK-0305")
    shoot(page, artifacts, f"supply-trace-{lang}")

    page.get_by_test_id("tab-purchasing").click()
    expect(page.get_by_test_id("purchase-orders")).to_be_visible()
    shoot(page, artifacts, f"supply-purchasing-{lang}")
    page.context.close()
