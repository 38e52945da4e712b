"""The dashboard: each chart's figures (through its CSV, the table the chart draws) on the
seeded orders, both languages, and refused input."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient

from hub.models.users import Role
from tests.analytics.conftest import Seeded

Shell = Callable[[Role], TestClient]
DAYS = {"start": "2025-03-03", "end": "2025-03-04"}


def _csv(c: TestClient, chart: str, **params: str) -> list[list[str]]:
    reply = c.get(f"/admin/console/dashboard/{chart}.csv", params={**DAYS, **params})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))


def test_every_chart_adds_up_to_the_orders(seeded: Seeded, shell: Shell) -> None:
    """One seeded hub per database, every chart checked (seeding is most of the time)."""
    c = shell(Role.MANAGER)
    _headline(c)
    _sales(c)
    _site_filter_and_local_days(c)
    _traffic_peaks_and_staffing(c)
    _members_satisfaction_kitchen_and_subsidy(c)


def _headline(c: TestClient) -> None:
    rows = _csv(c, "kpis", lang="en")
    assert rows[0] == ["Figure", "Unit", "This period", "Previous period"]
    figures = {r[0]: (r[2], r[3]) for r in rows[1:]}
    # Six orders, ￥100.00 (the income report's total), three members and one guest.
    assert figures == {"Orders": ("6", "0"), "Revenue": ("100.00", "0.00"),
                       "Average ticket": ("16.67", "0.00"), "Diners": ("4", "0")}


def _sales(c: TestClient) -> None:
    dishes = _csv(c, "sales-by-dish", lang="en")
    assert [r[:3] for r in dishes[1:]] == [["Braised pork", "54.00", "3"],
                                           ["Beef noodles", "36.00", "3"],
                                           ["Rice", "10.00", "5"]]
    assert _csv(c, "sales-by-dish", lang="zh_Hans")[1][0] == "红烧肉"
    stations = {r[0]: r[1] for r in _csv(c, "sales-by-station")[1:]}
    assert stations == {"wok": "54.00", "noodle": "36.00", "main": "10.00"}
    sites = {r[0]: r[1:4] for r in _csv(c, "sales-by-site")[1:]}
    assert sites == {"site1": ["5", "88.00", "0.00"], "site2": ["1", "12.00", "0.00"]}
    periods = {r[0]: r[1:] for r in _csv(c, "meal-periods", lang="en")[1:]}
    # Lunch: four orders by M001, M002 (twice) and a guest: three diners, ￥70.00.
    assert periods["Lunch"] == ["4", "3", "17.50", "70.00"]
    assert periods["Dinner"] == ["1", "1", "12.00", "12.00"]
    assert periods["Late snack"] == ["1", "1", "18.00", "18.00"]


def _site_filter_and_local_days(c: TestClient) -> None:
    days = _csv(c, "period-compare", site="site1")
    # A004 at 17:30 UTC on 3 March is 01:30 on 4 March in Shanghai: it counts on day two.
    assert [r[:2] for r in days[1:]] == [["2025-03-03", "64.00"], ["2025-03-04", "24.00"]]
    assert {r[0] for r in _csv(c, "sales-by-site", site="site2")[1:]} == {"site2"}


def _traffic_peaks_and_staffing(c: TestClient) -> None:
    traffic = _csv(c, "traffic", lang="en")
    assert sum(int(r[2]) for r in traffic[1:]) == 6
    assert ["Mon", "10:00", "1"] in [r for r in traffic[1:]]
    assert ["Tue", "01:30", "1"] in [r for r in traffic[1:]]
    peaks = {r[0]: r[1:3] for r in _csv(c, "kiosk-peaks")[1:]}
    assert peaks == {"k1": ["3", "1"], "k2": ["2", "1"], "k3": ["1", "1"]}
    staffing = _csv(c, "staffing", lang="en")
    assert staffing[0] == ["Weekday", "Time", "Diners (average)", "Kiosks needed",
                           "Kiosks on site"]
    # One Monday in the range: the 10:00 quarter had one diner, one kiosk serves it; three
    # kiosks are registered at the two sites.
    assert ["Mon", "10:00", "1.00", "1", "3"] in staffing[1:]


def _members_satisfaction_kitchen_and_subsidy(c: TestClient) -> None:
    members = {r[0]: r[1] for r in _csv(c, "members", lang="en")[1:]}
    assert members["Active"] == "3" and members["New"] == "3"
    assert members["Lapsed (60 days)"] == "0" and members["Tier: standard"] == "3"
    ratings = {(r[0], r[1]): (r[2], r[3]) for r in _csv(c, "satisfaction", lang="en")[1:]}
    assert ratings[("Dish", "Braised pork")] == ("1", "2.00")
    assert ratings[("Dish", "Beef noodles")] == ("1", "5.00")
    assert ratings[("Station", "wok")] == ("1", "2.00")
    prep = {r[0]: r[1:] for r in _csv(c, "prep-times")[1:]}
    assert prep["wok"] == ["1", "4.00", "4.00"]  # started 02:02, ready 02:06
    subsidy = {r[0]: r[1] for r in _csv(c, "subsidy")[1:]}
    assert subsidy == {"acme": "45.00", "globex": "10.00"}


def test_page_in_both_languages_and_an_empty_range(seeded: Seeded, shell: Shell) -> None:
    c = shell(Role.MANAGER)
    for lang, words in (("en", ["Operations dashboard", "Sales by dish", "Table"]),
                        ("zh_Hans", ["运营看板", "菜品销售", "表格"])):
        page = c.get("/admin/console/dashboard", params={**DAYS, "lang": lang})
        assert page.status_code == 200
        for word in words:
            assert word in page.text
        assert "chart-traffic" in page.text and "csv-staffing" in page.text
        assert "cdn" not in page.text.lower() and "dashboard-empty" not in page.text
    assert c.get("/admin/console/assets/echarts.min.js").status_code == 200
    page = c.get("/admin/console/dashboard", params={"start": "2024-01-01", "end": "2024-01-31"})
    assert page.status_code == 200 and 'data-testid="dashboard-empty"' in page.text


def test_bad_filters_unknown_charts_and_cashiers_are_refused(seeded: Seeded,
                                                             shell: Shell) -> None:
    c = shell(Role.MANAGER)
    for params in ({"start": "2025-03-10", "end": "2025-03-01"}, {"start": "yesterday"},
                   {"site": "nowhere"}, {"start": "2020-01-01", "end": "2025-01-01"}):
        page = c.get("/admin/console/dashboard", params=params)
        assert page.status_code == 400 and 'data-testid="console-error"' in page.text, params
        assert c.get("/admin/console/dashboard/kpis.csv", params=params).status_code == 400
    assert c.get("/admin/console/dashboard/nope.csv").status_code == 404
    cashier = shell(Role.CASHIER)
    reply = cashier.get("/admin/console/dashboard", follow_redirects=False)
    assert reply.status_code in (302, 303, 403)
    assert cashier.get("/admin/console/assets/echarts.min.js",
                       follow_redirects=False).status_code in (302, 303, 403)
