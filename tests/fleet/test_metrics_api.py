"""/metrics behind the admin role, and the /api/v1/fleet routes: health, commands, device
settings and rollouts, each bad input refused with the field and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.app import create_app
from hub.db_types import utcnow
from hub.fleet import health
from hub.models.downlinks import DeviceConfigRow
from hub.models.fleet_health import FleetCommand, Rollout
from hub.models.users import Role
from hub.security import create_access_token
from tests.hub.conftest import ensure_user, make_settings
from tests.support.browser import free_port
from tests.support.fleet import device_id, fleet_hub, heartbeat


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("fleet-api")
    # No broker listens on this port: publishes fail as when the broker is away.
    settings = make_settings(tmp, mqtt_port=free_port())
    engine = fleet_hub(settings, {"north": ["k1", "k2"], "south": ["k3"]})
    now = utcnow()
    with engine.begin() as conn:
        for code in ("k1", "k2"):
            health.note_status(conn, device_id=device_id(engine, code), state="online",
                               sent_at=now - timedelta(minutes=1))
        health.note_heartbeats(conn, [health.Beat(device_id(engine, "k1"), now, heartbeat(
            queue_depth=4, oldest_unsent_age_s=30, printer="paper_out"))], received_at=now)
    engine.dispose()
    app = create_app(settings)
    with TestClient(app) as client:
        yield client


def _auth(client: TestClient, role: Role) -> dict[str, str]:
    app = client.app
    user = ensure_user(app, username=f"{role.value}-user", role=role)  # type: ignore[arg-type]
    token = create_access_token(
        username=user.username, role=role, minutes=5,
        secret=app.state.settings.secret_key.get_secret_value())  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def _dev(client: TestClient, code: str) -> int:
    return device_id(client.app.state.engine, code)  # type: ignore[attr-defined]


def test_metrics_need_the_admin_role_and_say_what_prometheus_needs(api: TestClient) -> None:
    assert api.get("/metrics").status_code == 401
    assert api.get("/metrics", headers=_auth(api, Role.MANAGER)).status_code == 403
    reply = api.get("/metrics", headers=_auth(api, Role.ADMIN))
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    text = reply.text
    assert 'canteen_devices{presence="online",site="north"} 2.0' in text
    assert 'canteen_devices{presence="unknown",site="south"} 1.0' in text
    assert "canteen_ingest_lag_seconds 30.0" in text and "canteen_outbox_events 4.0" in text
    assert "canteen_ingest_messages_per_second 0.0" in text
    assert "# TYPE canteen_dead_letters_total counter" in text or \
        "# TYPE canteen_dead_letters counter" in text


def test_health_lists_devices_and_filters_by_state(api: TestClient) -> None:
    h = _auth(api, Role.ADMIN)
    every = api.get("/api/v1/fleet/health", headers=h).json()
    assert [d["code"] for d in every] == ["k1", "k2", "k3"]
    k1 = every[0]
    assert (k1["presence"], k1["printer"], k1["queue_depth"]) == ("online", "paper_out", 4)
    unknown = api.get("/api/v1/fleet/health?state=unknown", headers=h).json()
    assert [d["code"] for d in unknown] == ["k3"]
    assert api.get("/api/v1/fleet/health?state=asleep", headers=h).status_code == 422
    one = api.get(f"/api/v1/fleet/devices/{_dev(api, 'k1')}/health?resolution=1h",
                  headers=h).json()
    assert one["device"]["code"] == "k1" and one["buckets"][0]["beats"] == 1
    assert api.get("/api/v1/fleet/devices/99999/health", headers=h).status_code == 404
    assert api.get("/api/v1/fleet/health", headers=_auth(api, Role.CASHIER)).status_code == 403


def test_a_command_is_queued_when_the_broker_is_away_and_bad_ones_are_refused(
        api: TestClient) -> None:
    h = _auth(api, Role.ADMIN)
    k2 = _dev(api, "k2")
    made = api.post(f"/api/v1/fleet/devices/{k2}/commands", headers=h,
                    json={"name": "refresh_catalog", "ttl_s": 60})
    assert made.status_code == 201 and made.json()["status"] == "queued"
    for body, field in (({"name": "format_disk"}, "name"), ({"name": "upload_logs", "ttl_s": 5},
                                                           "ttl_s")):
        bad = api.post(f"/api/v1/fleet/devices/{k2}/commands", headers=h, json=body)
        assert bad.status_code == 422 and field in bad.text
    assert api.post("/api/v1/fleet/devices/99999/commands", headers=h,
                    json={"name": "upload_logs"}).status_code == 404
    listed = api.get(f"/api/v1/fleet/devices/{k2}/commands", headers=h).json()
    assert [c["name"] for c in listed] == ["refresh_catalog"]
    with Session(api.app.state.engine) as s:  # type: ignore[attr-defined]
        assert len(s.exec(select(FleetCommand)).all()) == 1


def test_device_settings_are_checked_with_the_device_schema(api: TestClient) -> None:
    h = _auth(api, Role.ADMIN)
    k3 = _dev(api, "k3")
    bad = api.put(f"/api/v1/fleet/devices/{k3}/config", headers=h,
                  json={"changes": {"languages": ["en"], "default_language": "zh_Hans"}})
    assert bad.status_code == 422 and "default_language" in bad.text
    with Session(api.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.get(DeviceConfigRow, k3) is None  # nothing saved
    away = api.put(f"/api/v1/fleet/devices/{k3}/config", headers=h,
                   json={"changes": {"layout": "list", "idle_reset_s": 60}})
    assert away.status_code == 503 and "saved, not sent" in away.text
    got = api.get(f"/api/v1/fleet/devices/{k3}/config", headers=h).json()
    assert got["settings"]["layout"] == "list" and got["settings"]["idle_reset_s"] == 60


def test_rollouts_refuse_bad_input_then_pause_and_resume(api: TestClient) -> None:
    h = _auth(api, Role.ADMIN)
    for body, field in (
        ({"kind": "config", "spec": {"changes": {"idle_reset_s": 1}}, "first_percent": 10},
         "idle_reset_s"),
        ({"kind": "config", "spec": {"changes": {"layout": "grid"}}}, "first"),
        ({"kind": "nope", "first_percent": 10}, "kind"),
        ({"kind": "config", "spec": {"changes": {"layout": "grid"}}, "first_percent": 0},
         "first_percent"),
        ({"kind": "config", "spec": {"changes": {"layout": "grid"}}, "first_site_id": 99999},
         "site"),
    ):
        bad = api.post("/api/v1/fleet/rollouts", headers=h, json=body)
        assert bad.status_code in (404, 422) and field in bad.text, bad.text
    with Session(api.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(Rollout)).first() is None
    made = api.post("/api/v1/fleet/rollouts", headers=h, json={
        "kind": "config", "spec": {"changes": {"layout": "grid"}}, "first_percent": 50})
    assert made.status_code == 201
    rid = made.json()["id"]
    assert made.json()["counts"]["0"] == {"pending": 2}
    assert api.post(f"/api/v1/fleet/rollouts/{rid}/resume", headers=h).status_code == 409
    assert api.post(f"/api/v1/fleet/rollouts/{rid}/pause", headers=h).json()["status"] == \
        "paused"
    assert api.post(f"/api/v1/fleet/rollouts/{rid}/resume", headers=h).json()["status"] == \
        "running"
    assert api.post(f"/api/v1/fleet/rollouts/{rid}/rollback", headers=h).status_code == 503
    assert api.get("/api/v1/fleet/rollouts/99999", headers=h).status_code == 404
