"""Claim codes and decommissioning in headless Chromium, both languages: an admin makes a
code (text and QR), revokes another, a device claims with the first over HTTP, and the admin
decommissions it from its page. Screenshots: docs/screenshots/fleet-claim-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from hub.models import Device, Role, Site, UserCreate
from hub.models.fleet import BrokerAccount
from hub.models.fleet_access import ClaimCode
from hub.services.users import create_user
from protocol.claim import parse_claim_qr
from tests.support.browser import BROWSER_TEST, RunningHub, log_in, new_page, served_hub, shoot

pytestmark = BROWSER_TEST
ADMIN = ("claim-admin", "claim-admin-pass-1")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    """A hub with two canteens and no devices yet (the hub manages broker files)."""
    with served_hub(tmp_path / "hub") as (app, url):
        with Session(app.state.engine) as s:
            create_user(session=s, data=UserCreate(username=ADMIN[0], password=ADMIN[1],
                                                   role=Role.ADMIN))
            s.add_all([Site(code="north", name_zh="北区食堂", name_en="North canteen"),
                       Site(code="south", name_zh="南区食堂", name_en="South canteen")])
            s.commit()
        yield RunningHub(url=url, engine=app.state.engine)


def make_code(page: Any, site: str, kind: str, device: str, name: str = "") -> str:
    page.select_option("#site_id", label=site)
    page.select_option("#kind", kind)
    page.fill("#device_code", device)
    page.fill("#device_name", name)
    page.locator("button[data-action='make-code']").click()
    expect(page.get_by_test_id("claim-issued")).to_be_visible()
    return str(page.get_by_test_id("claim-code").inner_text()).strip()


@pytest.mark.parametrize(("locale", "lang", "title"), [("en-US", "en", "Claim codes"),
                                                       ("zh-CN", "zh", "认领码")])
def test_admin_makes_revokes_and_a_device_claims_then_is_decommissioned(
        browser: Any, hub: RunningHub, artifacts: Path, locale: str, lang: str,
        title: str) -> None:
    page = new_page(browser, locale)
    log_in(page, hub, ADMIN)
    page.goto(f"{hub.url}/admin/fleet")
    page.get_by_test_id("fleet-nav").get_by_text(title).click()
    expect(page.get_by_test_id("open-codes")).to_contain_text(
        "No open codes" if lang == "en" else "没有未使用的认领码")

    spare = make_code(page, "south", "kds", "s-kds-1")
    code = make_code(page, "north", "kiosk", "n-kiosk-7", "North door kiosk")
    # Shown once, as text and as a QR of the hub's address and the code.
    expect(page.get_by_test_id("claim-qr").locator("svg")).to_be_visible()
    qr_text = page.get_by_test_id("claim-qr-text").inner_text()
    assert parse_claim_qr(qr_text) == (hub.url, code)
    rows = page.get_by_test_id("open-codes").locator("tr[data-claim]")
    expect(rows).to_have_count(2)
    shoot(page, artifacts, f"fleet-claim-{lang}")
    with Session(hub.engine) as s:  # the hub keeps only a hash and the last characters
        stored = s.exec(select(ClaimCode)).all()
        assert code not in {c.code_hash for c in stored}
        assert all(c.hint in (code.replace("-", "") + spare.replace("-", "")) for c in stored)

    page.locator("tr[data-device='s-kds-1'] button[data-action='revoke']").click()
    expect(rows).to_have_count(1)
    expect(page.locator("tr[data-device='n-kiosk-7']")).to_be_visible()
    expect(page.locator("[data-testid='past-codes'] tr[data-state='cancelled']")).to_have_count(1)
    refused = httpx.post(f"{hub.url}/api/v1/fleet/claim", json={"code": spare}, timeout=10)
    assert refused.status_code == 403

    # The device claims with its code (as `canteen-agent claim` does) and gets its login.
    grant = httpx.post(f"{hub.url}/api/v1/fleet/claim", json={"code": code}, timeout=10)
    assert grant.status_code == 201, grant.text
    assert grant.json()["device"] == "n-kiosk-7"
    with Session(hub.engine) as s:
        device = s.exec(select(Device).where(Device.code == "n-kiosk-7")).one()
        assert s.exec(select(BrokerAccount).where(BrokerAccount.device_id == device.id)).first()
    page.reload()
    expect(rows).to_have_count(0)
    page.locator("[data-testid='past-codes'] tr[data-state='claimed'] a").click()
    expect(page).to_have_url(re.compile(rf"/admin/fleet/devices/{device.id}$"))

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("button[data-action='decommission']").click()
    expect(page.get_by_test_id("decommissioned")).to_be_visible()
    expect(page.get_by_test_id("device-inactive")).to_be_visible()
    expect(page.locator("button[data-action='decommission']")).to_have_count(0)
    with Session(hub.engine) as s:
        device = s.exec(select(Device).where(Device.code == "n-kiosk-7")).one()
        assert not device.active and device.credential_hash is None
        assert s.exec(select(BrokerAccount).where(BrokerAccount.device_id == device.id)
                      ).first() is None
    page.context.close()
