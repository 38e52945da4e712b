"""The fleet pages in headless Chromium, both languages: the overview of a healthy fleet, a
device with its heartbeat chart and a command sent from its button, the rollouts page.
Screenshots: docs/screenshots/fleet-*.png (scripts/screenshots)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from hub.db_types import utcnow
from hub.fleet import health, rollouts
from hub.models import Device, DeviceKind, Role, Site, UserCreate
from hub.services.users import create_user
from tests.support.browser import (
    BROWSER_TEST,
    RunningHub,
    free_port,
    log_in,
    new_page,
    served_hub,
    shoot,
)
from tests.support.fleet import heartbeat

pytestmark = BROWSER_TEST
ADMIN = ("fleet-admin", "fleet-admin-pass-1")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    """A hub with two canteens of kiosks and displays, all online and heartbeating."""
    with served_hub(tmp_path / "hub") as (app, url):
        engine = app.state.engine
        # A port nobody listens on: commands stay queued (a broker may run on 1883 here).
        state = app.state.admin_shell.admin.state
        state.fleet_settings = state.fleet_settings.model_copy(update={"mqtt_port": free_port()})
        now = utcnow()
        with Session(engine) as s:
            create_user(session=s, data=UserCreate(username=ADMIN[0], password=ADMIN[1],
                                                   role=Role.ADMIN))
            for code, zh, en in (("north", "北区食堂", "North canteen"),
                                 ("south", "南区食堂", "South canteen")):
                site = Site(code=code, name_zh=zh, name_en=en)
                s.add(site)
                s.flush()
                assert site.id is not None
                for i, kind in enumerate((DeviceKind.KIOSK, DeviceKind.KIOSK, DeviceKind.KDS)):
                    s.add(Device(code=f"{code[0]}-{kind.value}-{i + 1}", kind=kind,
                                 site_id=site.id, name=f"{en} {kind.value} {i + 1}"))
            s.commit()
            devices = [(d.id, d.code) for d in s.exec(select(Device)).all()]
        with engine.begin() as conn:
            for n, (dev, _code) in enumerate(devices):
                assert dev is not None
                health.note_status(conn, device_id=dev, state="online",
                                   sent_at=now - timedelta(hours=7))
                for i in range(72):  # six hours of 5-minute buckets, a few beats each
                    at = now - timedelta(minutes=5 * (72 - i))
                    health.note_heartbeats(conn, [health.Beat(dev, at, heartbeat(
                        queue_depth=(i * 7 + n) % 4 if i % 9 else 6, printer="ok",
                        scale_present=n % 3 != 2, card_reader_present=True,
                        cpu_temp_c=46.0 + n, catalog_version=12, config_version=4,
                        model_version="rec-2026.12.1", disk_total_mb=29000,
                        disk_free_mb=21000 - 10 * n))], received_at=at)
        yield RunningHub(url=url, engine=engine)


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("zh-CN", "zh")])
def test_admin_sees_a_healthy_fleet_a_device_chart_and_sends_a_command(
        browser: Any, hub: RunningHub, artifacts: Path, locale: str, lang: str) -> None:
    page = new_page(browser, locale)
    log_in(page, hub, ADMIN)
    page.goto(f"{hub.url}/admin/fleet")
    expect(page.locator('[data-count="online"]')).to_have_text("6")
    expect(page.locator('[data-count="alert"]')).to_have_text("0")
    expect(page.locator("tr[data-device]")).to_have_count(6)
    shoot(page, artifacts, f"fleet-overview-{lang}")

    page.locator("tr[data-device='n-kiosk-1'] a").click()
    expect(page.get_by_test_id("heartbeat-chart")).to_be_visible()
    page.locator("button[data-command='print_test_page']").click()
    # No broker in this test: the command waits, queued, for the fleet monitor.
    expect(page.get_by_test_id("command-sent")).to_be_visible()
    expect(page.locator("tr[data-status='queued']")).to_have_count(1)
    shoot(page, artifacts, f"fleet-device-{lang}")

    with Session(hub.engine) as s:
        north = s.exec(select(Site.id).where(Site.code == "north")).one()
        rollouts.create_rollout(s, kind="config", name="Lunch layout",
                                spec={"changes": {"layout": "list", "idle_reset_s": 60}},
                                first_site_id=north, step_timeout_s=600)
    page.goto(f"{hub.url}/admin/fleet/rollouts")
    expect(page.locator("[data-rollout]")).to_have_count(1)
    shoot(page, artifacts, f"fleet-rollouts-{lang}")
    page.context.close()
