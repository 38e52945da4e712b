"""The OpenAPI document says what the service does (schemathesis checks the rest by fuzzing).

Before, 401/403/404/409/503 were undocumented, meal-period times were `format: time`
(an RFC 3339 time, which carries an offset the hub never sends) and /member-export, which
answers CSV or XLSX, was documented as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.deps import PUBLIC_API_ROUTES
from hub.app import create_app
from hub.models.users import Role

Auth = Callable[[Role], dict[str, str]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVERY_ROUTE_MAY = {"400", "401", "403", "404", "409", "422", "503"}


@pytest.fixture
def doc(sqlite_settings: Any) -> dict[str, Any]:
    return dict(create_app(sqlite_settings).openapi())


def test_every_api_operation_documents_the_error_answers(doc: dict[str, Any]) -> None:
    missing = {
        f"{method.upper()} {path}": sorted(EVERY_ROUTE_MAY - set(op["responses"]))
        for path, item in doc["paths"].items()
        if path.startswith("/api/")
        for method, op in item.items()
        if (method.upper(), path) not in PUBLIC_API_ROUTES
        and not set(op["responses"]) >= EVERY_ROUTE_MAY
    }
    assert not missing
    error = doc["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"]
    assert "503" in doc["paths"]["/healthz"]["get"]["responses"]  # database unreachable


def test_meal_period_times_are_local_times_without_offset(doc: dict[str, Any]) -> None:
    for name in ("MealPeriodCreate", "MealPeriodUpdate", "MealPeriodPublic"):
        for field in ("start", "end"):
            prop = doc["components"]["schemas"][name]["properties"][field]
            assert prop.get("format") != "time", f"{name}.{field}"
            pattern = re.compile(prop["pattern"])
            assert pattern.match("07:30") and pattern.match("07:30:00")
            assert not pattern.match("07:30:00+08:00") and not pattern.match("07:30:00Z")


def test_meal_period_time_with_an_offset_is_refused(client: TestClient, auth: Auth) -> None:
    mgr = auth(Role.MANAGER)
    site = client.post(
        "/api/v1/sites", json={"code": "hq", "name_zh": "总部", "name_en": "HQ"}, headers=mgr
    ).json()
    period = {"code": "lunch", "name_zh": "午餐", "name_en": "Lunch", "start": "11:00"}
    url = f"/api/v1/sites/{site['id']}/meal-periods"
    r = client.post(url, json={**period, "end": "13:30:00+08:00"}, headers=mgr)
    assert r.status_code == 422
    r = client.post(url, json={**period, "end": "13:30"}, headers=mgr)
    assert r.status_code == 201, r.text
    assert (r.json()["start"], r.json()["end"]) == ("11:00:00", "13:30:00")


def test_member_export_is_documented_as_the_files_it_sends(
    doc: dict[str, Any], client: TestClient, auth: Auth
) -> None:
    content = doc["paths"]["/api/v1/member-export"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"text/csv", XLSX}
    admin = auth(Role.ADMIN)
    for fmt, media in (("csv", "text/csv"), ("xlsx", XLSX)):
        r = client.get(f"/api/v1/member-export?format={fmt}", headers=admin)
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0] == media
