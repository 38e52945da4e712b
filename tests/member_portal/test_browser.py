"""The member web page in headless Chromium at phone size, zh and en: sign in with the code
the local SMTP server received, land on the home page, and the QR on the screen (read back
from the screenshot by the kiosk's own QR decoder) is the member's signed code.
Screenshots member-web-signin-zh.png, member-web-home-zh.png, member-web-home-en.png."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest
from playwright.sync_api import Browser, ViewportSize, expect
from sqlmodel import Session

from hardware.camera.decode import decode_qr
from hub.db_types import utcnow
from hub.identity.keys import published_public_keys
from protocol.tokens import verify_member_token
from tests.member_portal.conftest import Diner, mailed_code, seed_diner_in
from tests.notify.conftest import SmtpServer
from tests.support.browser import BROWSER_TEST, RunningHub, served_hub, shoot

pytestmark = BROWSER_TEST
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def hub(tmp_path: Path, smtp: SmtpServer) -> Iterator[tuple[RunningHub, Diner]]:
    with served_hub(tmp_path / "hub") as (app, url):
        diner = seed_diner_in(app, "M4001", cents=12_850, name="林美华")
        # The first request builds every route's state (seconds on a busy box): not the
        # browser's, whose page loads have a 15 s limit.
        with urllib.request.urlopen(f"{url}/member/sign-in", timeout=120) as first:
            assert first.status == 200
        yield RunningHub(url=url, engine=app.state.engine), diner


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("en-US", "en")])
def test_sign_in_with_the_mailed_code_and_show_the_member_qr(
        hub: tuple[RunningHub, Diner], browser: Browser, smtp: SmtpServer, artifacts: Path,
        locale: str, lang: str) -> None:
    running, diner = hub
    context = browser.new_context(locale=locale, viewport=PHONE, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{running.url}/member/")
    expect(page).to_have_url(f"{running.url}/member/sign-in")
    if lang == "zh":
        expect(page.get_by_role("heading", name="登录")).to_be_visible()
        shoot(page, artifacts, "member-web-signin-zh", full_page=False)
    page.fill("#identifier", diner.member_no)
    page.get_by_role("button", name="发送验证码" if lang == "zh" else "Send me a code").click()
    expect(page.locator("#code")).to_be_visible()
    page.fill("#code", mailed_code(smtp, diner.email))
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{running.url}/member/")
    expect(page.get_by_test_id("member-name")).to_have_text("林美华")
    expect(page.get_by_test_id("paid")).to_have_text("￥128.50")
    expect(page.get_by_text("我的会员码" if lang == "zh" else "My member code")).to_be_visible()
    shoot(page, artifacts, f"member-web-home-{lang}", full_page=False)  # what the phone shows
    # The code as a kiosk camera sees it: decoded from the pixels, verified offline.
    qr = page.get_by_test_id("member-qr")
    shot = artifacts / f"member-web-qr-{lang}.png"
    qr.screenshot(path=str(shot))
    frame = cv2.imread(str(shot))
    assert frame is not None
    decoded = decode_qr(frame)
    assert decoded == [qr.get_attribute("data-token")]
    with Session(running.engine) as s:
        keys = published_public_keys(session=s)
    assert verify_member_token(decoded[0], keys, utcnow()) == "M4001"
    cookie = next(c for c in context.cookies() if c["name"] == "canteen_member")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    context.close()
