"""The /api/v1/crm routes on a started hub: roles on every route, a malformed campaign
refused with the field and the reason and nothing written, create -> launch -> results,
and a complaint resolved through the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.app import create_app
from hub.crm.segments import save_segment
from hub.models.users import Role
from hub.security import create_access_token
from tests.hub.conftest import ensure_user, make_settings
from tests.support.crm_cases import RICE, World, envelope, placed, seed_world, write_ok

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, World, int]]:
    settings = make_settings(Path(tmp_path_factory.mktemp("crm-api")))
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        world = seed_world(engine, members=10)
        with Session(engine) as s:
            seg = save_segment(s, name="all", actor="t", definition={
                "kind": "metric", "metric": "visits", "window_days": 30, "op": ">=",
                "value": 0})
            s.commit()
            segment = seg.id or 0
        yield client, world, segment


def _auth(client: TestClient, role: Role) -> dict[str, str]:
    app: Any = client.app
    user = ensure_user(app, username=f"crm-{role.value}", role=role)
    token = create_access_token(username=user.username, role=role, minutes=5,
                                secret=app.state.settings.secret_key.get_secret_value())
    return {"Authorization": f"Bearer {token}"}


def _body(segment: int, template: int, **over: Any) -> dict[str, Any]:
    return {"code": "spring", "name": "Spring", "segment_id": segment,
            "coupon_template_id": template, "message_zh": "春季特惠",
            "message_en": "Spring treat", "channels": ["kiosk", "receipt"],
            "holdout_percent": 20, "starts_at": NOW.isoformat(),
            "ends_at": (NOW + timedelta(days=7)).isoformat(), **over}


@pytest.mark.parametrize("path", ["/api/v1/crm/cases", "/api/v1/crm/campaigns",
                                  "/api/v1/crm/cases/staff",
                                  "/api/v1/crm/campaigns/automations"])
def test_cashiers_and_strangers_are_kept_out(hub: tuple[TestClient, World, int],
                                             path: str) -> None:
    client = hub[0]
    assert client.get(path).status_code == 401
    assert client.get(path, headers=_auth(client, Role.CASHIER)).status_code == 403
    assert client.get(path, headers=_auth(client, Role.MANAGER)).status_code == 200


@pytest.mark.parametrize(("over", "field"), [
    ({"ends_at": (NOW - timedelta(days=1)).isoformat()}, "ends_at"),
    ({"ends_at": (NOW + timedelta(days=200)).isoformat()}, "ends_at"),
    ({"starts_at": "2025-03-01T00:00:00"}, "starts_at"),
    ({"holdout_percent": 80}, "holdout_percent"),
    ({"channels": []}, "channels"),
    ({"channels": ["sms"]}, "channels"),
    ({"channels": ["kiosk", "kiosk"]}, "channels"),
    ({"code": "Spring!"}, "code"),
    ({"message_en": ""}, "message_en"),
    ({"segment_id": 9999}, "segment_id"),
    ({"coupon_template_id": 9999}, "coupon_template_id"),
    ({"surprise": 1}, "surprise"),
])
def test_a_malformed_campaign_is_refused_with_the_field_and_nothing_written(
        hub: tuple[TestClient, World, int], over: dict[str, Any], field: str) -> None:
    client, world, segment = hub
    mgr = _auth(client, Role.MANAGER)
    before = client.get("/api/v1/crm/campaigns", headers=mgr).json()["total"]
    r = client.post("/api/v1/crm/campaigns", headers=mgr,
                    json=_body(segment, world.template_id, **over))
    assert r.status_code == 422, r.text
    [problem, *_] = r.json()["detail"]
    assert field in [str(p) for p in problem["loc"]] and problem["msg"]
    assert client.get("/api/v1/crm/campaigns", headers=mgr).json()["total"] == before


def test_create_launch_and_read_the_results(hub: tuple[TestClient, World, int]) -> None:
    client, world, segment = hub
    mgr = _auth(client, Role.MANAGER)
    r = client.post("/api/v1/crm/campaigns", headers=mgr,
                    json=_body(segment, world.template_id, code="api_spring"))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert client.post(f"/api/v1/crm/campaigns/{cid}/launch", headers=mgr).status_code == 200
    again = client.post(f"/api/v1/crm/campaigns/{cid}/launch", headers=mgr)
    assert again.status_code == 409 and "launched" in again.json()["detail"]
    res = client.get(f"/api/v1/crm/campaigns/{cid}/results", headers=mgr).json()
    assert res["treatment"] + res["holdout"] == 10 and res["finished"] is False
    assert res["coupons"] == res["treatment"] and set(res["visits"]) >= {"low", "high"}
    assert client.get("/api/v1/crm/campaigns/99999/results", headers=mgr).status_code == 404
    auto = client.put("/api/v1/crm/campaigns/automations/birthday", headers=mgr,
                      json={"enabled": True, "holdout_percent": 90})
    assert auto.status_code == 422
    assert client.put("/api/v1/crm/campaigns/automations/nope", headers=mgr,
                      json={"enabled": True}).status_code == 404


def test_a_complaint_handled_through_the_api(hub: tuple[TestClient, World, int]) -> None:
    client, world, _ = hub
    mgr = _auth(client, Role.MANAGER)
    oid, order = placed("Z1", "M001", NOW - timedelta(hours=1), [RICE])
    write_ok(world, [order, envelope("feedback.given", {"order_id": oid, "rating": 1},
                                     sent_at=NOW - timedelta(minutes=50))])
    [case] = client.get("/api/v1/crm/cases?status=open", headers=mgr).json()["items"]
    assert (case["priority"], case["overdue"], case["member_no"]) == ("high", False, "M001")
    cashier = ensure_user(client.app, username="crm-cashier", role=Role.CASHIER)  # type: ignore[arg-type]
    url = f"/api/v1/crm/cases/{case['id']}"
    assert client.post(f"{url}/assign", headers=mgr,
                       json={"user_id": cashier.id}).json()["case"]["assigned_to"] == \
        "crm-cashier"
    bad = client.post(f"{url}/resolve", headers=mgr,
                      json={"resolution": "ok", "follow_up_zh": "抱歉"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body",
                                                                         "follow_up_en"]
    done = client.post(f"{url}/resolve", headers=mgr, json={
        "resolution": "Refunded", "follow_up_zh": "已退款", "follow_up_en": "Refunded"}).json()
    assert done["case"]["status"] == "resolved" and done["follow_up_en"] == "Refunded"
    assert client.get("/api/v1/crm/cases/99999", headers=mgr).status_code == 404
    sat = client.get("/api/v1/crm/cases/satisfaction?by=station", headers=mgr).json()
    assert [(s["key"], s["average"]) for s in sat] == [("main", 1.0)]
    assert client.get("/api/v1/crm/cases/satisfaction?by=colour",
                      headers=mgr).status_code == 422
