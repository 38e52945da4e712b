"""The forecast and pre-booking pages in headless Chromium, Chinese and English, with
screenshots (docs/screenshots/supply-forecast-*.png, supply-bookings-*.png)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlmodel import Session

from hub.db_types import utcnow
from hub.models import Role, UserCreate
from hub.models.supply_bookings import Booking
from hub.services.users import create_user
from hub.supply.forecast import run_forecast
from hub.supply.forecast_model import ForecastParams
from tests.support.browser import BROWSER_TEST, RunningHub, log_in, new_page, served_hub, shoot
from tests.support.supply_demand import load_demand, make_member

pytestmark = BROWSER_TEST
ADMIN = ("boss", "admin-password-1")


def test_forecast_and_bookings_pages(tmp_path: Path, browser: Browser, artifacts: Path) -> None:
    today = utcnow().date()
    with served_hub(tmp_path / "hub") as (app, url):
        with Session(app.state.engine) as s:
            create_user(session=s, data=UserCreate(username=ADMIN[0], password=ADMIN[1],
                                                   role=Role.ADMIN))
            site = load_demand(s, dishes=3, periods=2, days=70, end=today)
            quick = ForecastParams(select=False, n_estimators=40)
            for back in (28, 21, 14, 7):
                run_forecast(s, site_id=site.site_id, start=today - timedelta(days=back - 1),
                             days=7, params=quick)
            run_forecast(s, site_id=site.site_id, start=today + timedelta(days=1), days=7,
                         params=quick)
            member = make_member(s)
            for i, dish in enumerate(site.dish_ids):
                s.add(Booking(uid=f"b-{i}", member_id=member, site_id=site.site_id,
                              meal_period_id=site.period_ids[1], day=today, kind="dish",
                              dish_id=dish, qty=i + 1, price_cents=1500 * (i + 1)))
            s.commit()
        hub = RunningHub(url=url, engine=app.state.engine)
        for locale, lang, title, heading in (("en-US", "en", "Forecast vs actual",
                                              "Pre-bookings per day"),
                                             ("zh-CN", "zh", "预测与实际", "每日报餐")):
            page = new_page(browser, locale)
            log_in(page, hub, ADMIN)
            page.goto(f"{url}/admin/supply/forecast")
            expect(page.locator(".page-title")).to_have_text(title)
            expect(page.locator("[data-series=naive]").first).to_be_attached()
            expect(page.locator("[data-series=forecast]").first).to_be_attached()
            shoot(page, artifacts, f"supply-forecast-{lang}")
            page.goto(f"{url}/admin/supply/bookings?day={today}")
            expect(page.locator(".page-title")).to_have_text(heading)
            expect(page.get_by_test_id("headcount").locator("tbody tr")).to_have_count(3)
            shoot(page, artifacts, f"supply-bookings-{lang}")
            page.context.close()
