"""Admin pages: forecast vs actual (three lines in the SVG) and pre-bookings per day, in
Chinese and English, on a site with a demand history, stored forecasts and a booking."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from hub.db_types import utcnow
from hub.models.supply_bookings import Booking
from hub.supply.forecast import run_forecast
from hub.supply.forecast_model import ForecastParams
from tests.support.admin import admin_shell, login
from tests.support.supply_demand import load_demand, make_member


def test_forecast_and_booking_pages_both_languages(tmp_path: Path) -> None:
    today = utcnow().date()
    with admin_shell(tmp_path) as client:
        with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
            site = load_demand(s, dishes=3, periods=2, days=70, end=today)
            quick = ForecastParams(select=False, n_estimators=40)
            for back in (21, 14, 7):
                run_forecast(s, site_id=site.site_id, start=today - timedelta(days=back - 1),
                             days=7, params=quick)
            run_forecast(s, site_id=site.site_id, start=today + timedelta(days=1), days=7,
                         params=quick)
            member = make_member(s)
            s.add(Booking(uid="b-1", member_id=member, site_id=site.site_id,
                          meal_period_id=site.period_ids[1], day=today, kind="dish",
                          dish_id=site.dish_ids[0], qty=2, price_cents=3000))
            s.commit()
        login(client)
        page = client.get("/admin/supply/forecast", params={"lang": "en"})
        assert page.status_code == 200
        for series in ("actual", "forecast", "naive"):
            assert f'data-series="{series}"' in page.text
        assert "Forecast vs actual" in page.text and "Seasonal naive" in page.text
        zh = client.get("/admin/supply/forecast", params={"lang": "zh_Hans"})
        assert "预测与实际" in zh.text and "季节性朴素基线" in zh.text
        bad = client.get("/admin/supply/forecast", params={"from": "x", "to": "9999-99-99",
                                                          "site": "abc"})
        assert bad.status_code == 200
        en = client.get("/admin/supply/bookings", params={"lang": "en", "day": str(today)})
        assert "Pre-bookings per day" in en.text and "Braised pork 1" in en.text
        assert '<td class="text-end">2</td>' in en.text
        zh = client.get("/admin/supply/bookings", params={"lang": "zh_Hans",
                                                          "day": str(today)})
        assert "每日报餐" in zh.text and "红烧肉1" in zh.text
        empty = client.get("/admin/supply/bookings",
                           params={"lang": "en", "day": str(date(2026, 1, 1))})
        assert "No bookings for this day." in empty.text
