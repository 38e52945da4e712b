"""/api/v1/crm over HTTP: roles, the audited profile with learnt preferences and tags with
why, manual tags, rules (refused with field and reason, extreme ones only after a confirmed
dry run, nothing half-saved), segments with live count and consent-respecting export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.app import create_app
from hub.crm import jobs
from hub.models.audit import AuditLog
from hub.models.crm import MemberTag, Segment, TagRule
from hub.models.users import Role
from hub.security import create_access_token
from tests.hub.conftest import ensure_user, make_settings
from tests.support import crm_data
from tests.support.crm_data import AT

API = "/api/v1/crm"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, crm_data.History]]:
    settings = make_settings(Path(tmp_path_factory.mktemp("crm-api")))
    app = create_app(settings)
    with TestClient(app) as client:
        engine = app.state.engine
        with engine.begin() as conn:
            history = crm_data.build(conn)
        with Session(engine) as session:
            jobs.full_refresh(session, at=AT)
        yield client, history


def _auth(client: TestClient, role: Role) -> dict[str, str]:
    app = client.app
    user = ensure_user(app, username=f"{role.value}-crm", role=role)  # type: ignore[arg-type]
    secret = app.state.settings.secret_key.get_secret_value()  # type: ignore[attr-defined]
    token = create_access_token(username=user.username, role=role, secret=secret, minutes=5)
    return {"Authorization": f"Bearer {token}"}


def _session(client: TestClient) -> Session:
    return Session(client.app.state.engine)  # type: ignore[attr-defined]


def test_roles(hub: tuple[TestClient, crm_data.History]) -> None:
    client, _ = hub
    assert client.get(f"{API}/members").status_code == 401
    assert client.get(f"{API}/members", headers=_auth(client, Role.CASHIER)).status_code == 403
    assert client.post(f"{API}/refresh",
                       headers=_auth(client, Role.MANAGER)).status_code == 403


def test_search_and_audited_profile(hub: tuple[TestClient, crm_data.History]) -> None:
    client, history = hub
    headers = _auth(client, Role.MANAGER)
    found = client.get(f"{API}/members", params={"q": "herb"}, headers=headers).json()
    assert [(m["member_no"], m["tags"]) for m in found] == [("M-herbless", ["no_coriander"])]
    member_id = history.members["herbless"]
    with _session(client) as s:
        before = len(s.exec(select(AuditLog).where(AuditLog.action == "crm.profile.view")).all())
    body = client.get(f"{API}/members/{member_id}", headers=headers).json()
    assert [m["key"] for m in body["learnt"]["modifiers"]] == ["no_coriander"]
    assert body["learnt"]["dishes"][0]["key"] == "rice"
    assert body["learnt"]["typical_spend_cents"] == 1000
    (tag,) = body["tags"]
    assert tag["tag"] == "no_coriander" and len(tag["evidence"]["orders"]) == 3
    assert body["score"]["frequency"] == 3 and 1 <= body["score"]["r"] <= 5
    assert len(body["recent_orders"]) == 3
    with _session(client) as s:
        views = s.exec(select(AuditLog).where(AuditLog.action == "crm.profile.view")).all()
    assert len(views) == before + 1 and views[-1].member_id == member_id
    assert views[-1].actor == "manager-crm"
    assert client.get(f"{API}/members/999999", headers=headers).status_code == 404


def test_manual_tags(hub: tuple[TestClient, crm_data.History]) -> None:
    client, history = hub
    headers = _auth(client, Role.MANAGER)
    url = f"{API}/members/{history.members['dormant']}/tags"
    done = client.post(url, json={"tag": "call-back", "note": "asked about catering"},
                       headers=headers)
    assert done.status_code == 201 and done.json()[0]["given_by"] == "manager-crm"
    again = client.post(url, json={"tag": "big_spender"}, headers=headers)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "tag"]
    assert client.delete(f"{url}/call-back", headers=headers).status_code == 204
    assert client.delete(f"{url}/call-back", headers=headers).status_code == 404


def test_rule_refused_with_field_and_nothing_saved(hub: tuple[TestClient, crm_data.History]
                                                   ) -> None:
    client, _ = hub
    headers = _auth(client, Role.ADMIN)
    bad = {"code": "lunchers", "name_zh": "午餐", "name_en": "Lunchers", "definition": {
        "kind": "all", "items": [{"kind": "metric", "metric": "share_meal_period",
                                  "meal_period": "lunch", "value": 7}]}}
    answer = client.post(f"{API}/rules", json=bad, headers=headers)
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", "definition", "items", 0]
    assert "between 0 and 1" in problem["msg"]
    with _session(client) as s:
        assert s.exec(select(TagRule).where(TagRule.code == "lunchers")).first() is None


def test_rule_tagging_everyone_needs_confirmed_dry_run(
        hub: tuple[TestClient, crm_data.History]) -> None:
    client, _ = hub
    headers = _auth(client, Role.MANAGER)
    rule = {"code": "anyone", "name_zh": "所有人", "name_en": "Anyone",
            "definition": {"kind": "metric", "metric": "visits", "op": ">=", "value": 0}}
    run = client.post(f"{API}/rules/dry-run", json={"definition": rule["definition"]},
                      headers=headers).json()
    assert run["extreme"] and run["count"] == run["total"] == 9 and len(run["sample"]) == 9
    refused = client.post(f"{API}/rules", json=rule, headers=headers)
    assert refused.status_code == 409 and "every member" in refused.json()["detail"]["msg"]
    with _session(client) as s:
        assert s.exec(select(TagRule).where(TagRule.code == "anyone")).first() is None
    saved = client.post(f"{API}/rules", json={**rule, "confirm": True}, headers=headers)
    assert saved.status_code == 201 and saved.json()["members"] == 9
    rule_id = saved.json()["id"]
    assert client.delete(f"{API}/rules/{rule_id}", headers=headers).status_code == 204
    with _session(client) as s:
        assert s.exec(select(MemberTag).where(MemberTag.tag == "anyone")).first() is None


def test_segment_count_save_and_export(hub: tuple[TestClient, crm_data.History]) -> None:
    client, history = hub
    headers = _auth(client, Role.MANAGER)
    definition = {"kind": "any", "items": [{"kind": "tag", "tag": "big_spender"},
                                           {"kind": "tag", "tag": "monthly_regular"}]}
    live = client.post(f"{API}/segments/count", json={"definition": definition},
                       headers=headers).json()
    assert live["count"] == 2
    seg = client.post(f"{API}/segments", json={"name": "VIPs", "definition": definition},
                      headers=headers)
    assert seg.status_code == 201 and seg.json()["members"] == 2
    seg_id = seg.json()["id"]
    ids = client.get(f"{API}/segments/{seg_id}/members", headers=headers).json()
    assert ids == sorted([history.members["whale"], history.members["regular"]])
    with client.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.text("UPDATE member SET consent_marketing_at = '2026-01-01 00:00:00' "
                             "WHERE member_no = 'M-whale'"))
    export = client.get(f"{API}/segments/{seg_id}/export", headers=headers)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [r["member_no"] for r in rows] == ["M-whale"]
    assert export.headers["x-left-out-without-consent"] == "1"
    xlsx = client.get(f"{API}/segments/{seg_id}/export", params={"format": "xlsx"},
                      headers=headers)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    dup = client.post(f"{API}/segments", json={"name": "VIPs", "definition": definition},
                      headers=headers)
    assert dup.status_code == 422 and dup.json()["detail"][0]["loc"] == ["body", "name"]
    bad = client.post(f"{API}/segments", json={"name": "x", "definition": {"kind": "tag"}},
                      headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "definition",
                                                                         "tag"]
    with _session(client) as s:
        assert [x.name for x in s.exec(select(Segment))] == ["VIPs"]
