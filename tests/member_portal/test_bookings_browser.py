"""The bookings tab in headless Chromium at phone size, zh and en: book tomorrow's lunch with
the tab's form, and the pick-up QR on the screen, read back from the screenshot by the
kiosk's own decoder, is the code the kiosk takes for that booking; today's published
origins are on the page. Screenshots member-web-bookings-{zh,en}.png."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import pytest
from playwright.sync_api import Browser, ViewportSize, expect
from sqlmodel import Session, select

from hardware.camera.decode import decode_qr
from hub.db_types import utcnow
from hub.models.supply import ReceiptCreate
from hub.models.supply_bookings import Booking
from hub.supply import inventory
from kiosk.services.bookings import is_booking_code
from tests.member_portal.conftest import Diner, mailed_code, seed_diner_in
from tests.notify.conftest import SmtpServer
from tests.support.browser import BROWSER_TEST, RunningHub, served_hub, shoot
from tests.support.supply import make_canteen

pytestmark = BROWSER_TEST
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def hub(tmp_path: Path, smtp: SmtpServer) -> Iterator[tuple[RunningHub, Diner]]:
    with served_hub(tmp_path / "hub") as (app, url):
        canteen = make_canteen(app.state.settings, devices=())
        canteen.engine.dispose()
        now = utcnow()
        with Session(app.state.engine) as s:
            inventory.receive(session=s, actor="clerk", now=now, data=ReceiptCreate.model_validate({
                "site_id": canteen.site_id, "supplier_id": canteen.suppliers["farm"],
                "reference": "DN-1", "lines": [{
                    "ingredient_id": canteen.ingredients["chicken"], "qty": 1000.0,
                    "lot_code": "CK-A", "produced_on": "2026-03-01",
                    "expires_on": (now + timedelta(days=30)).date().isoformat()}]}))
            s.commit()
        diner = seed_diner_in(app, "M4101", cents=10_000, name="林美华")
        with urllib.request.urlopen(f"{url}/member/sign-in", timeout=120) as first:
            assert first.status == 200
        yield RunningHub(url=url, engine=app.state.engine), diner


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("en-US", "en")])
def test_book_tomorrows_lunch_and_show_the_pickup_qr(
        hub: tuple[RunningHub, Diner], browser: Browser, smtp: SmtpServer, artifacts: Path,
        locale: str, lang: str) -> None:
    running, diner = hub
    zh = lang == "zh"
    context = browser.new_context(locale=locale, viewport=PHONE, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{running.url}/member/sign-in")
    page.fill("#identifier", diner.member_no)
    page.get_by_role("button", name="发送验证码" if zh else "Send me a code").click()
    page.fill("#code", mailed_code(smtp, diner.email))
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{running.url}/member/")
    page.get_by_role("link", name="预订" if zh else "Bookings").click()
    expect(page).to_have_url(f"{running.url}/member/bookings")
    tomorrow = (utcnow().astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    form = page.get_by_test_id("book-form")
    form.get_by_test_id("book-day").select_option(tomorrow.isoformat())
    form.get_by_test_id("book-what").select_option(label="宫保鸡丁 · ￥18.00" if zh
                                                   else "Kung Pao chicken · ￥18.00")
    form.get_by_test_id("book").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    expect(page.get_by_test_id("booking-what")).to_have_text(
        "宫保鸡丁 ×1" if zh else "Kung Pao chicken ×1")
    expect(page.get_by_test_id("origin")).to_contain_text(
        "鸡腿肉：绿源农场，批次 2026-03-01" if zh
        else "Chicken thigh: Green Source Farm, lot 2026-03-01")
    shoot(page, artifacts, f"member-web-bookings-{lang}", full_page=False)  # the phone's view
    # The pick-up code as a kiosk camera sees it: decoded from the pixels.
    qr = page.get_by_test_id("booking-qr")
    qr.scroll_into_view_if_needed()
    shot = artifacts / f"member-web-booking-qr-{lang}.png"
    qr.screenshot(path=str(shot))
    frame = cv2.imread(str(shot))
    assert frame is not None
    decoded = decode_qr(frame)
    with Session(running.engine) as s:
        booking = s.exec(select(Booking)).one()
    assert decoded == [f"BK1:{booking.uid}"] and is_booking_code(decoded[0])
    # The tab bar still fits the phone's width with the bookings tab in it.
    edges = page.evaluate("[...document.querySelectorAll('nav.tabs a')]"
                          ".map(a => a.getBoundingClientRect().right)")
    assert len(edges) == 7 and max(edges) <= PHONE["width"] + 0.5, edges
    context.close()
