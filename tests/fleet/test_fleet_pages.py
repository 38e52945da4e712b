"""Fleet pages over HTTP in both languages: overview filters, device chart and commands,
rollouts (create, refuse bad input, pause/resume), managers read but cannot act."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.db_types import utcnow
from hub.fleet import health
from hub.models import Device, DeviceKind, Role, Site, UserCreate
from hub.models.fleet_health import FleetCommand, Rollout
from hub.services.users import create_user
from tests.support.admin import admin_shell, login
from tests.support.browser import free_port
from tests.support.fleet import heartbeat


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with admin_shell(tmp_path_factory.mktemp("fleet-pages")) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        now = utcnow()
        with Session(engine) as s:
            north = Site(code="north", name_zh="北区食堂", name_en="North canteen")
            south = Site(code="south", name_zh="南区食堂", name_en="South canteen")
            s.add_all([north, south])
            s.flush()
            assert north.id and south.id
            s.add_all([Device(code="k1", kind=DeviceKind.KIOSK, site_id=north.id, name="Door"),
                       Device(code="k2", kind=DeviceKind.KIOSK, site_id=north.id),
                       Device(code="k3", kind=DeviceKind.KIOSK, site_id=south.id)])
            create_user(session=s, data=UserCreate(username="mgr", password="manager-pass-1",
                                                   role=Role.MANAGER))
            s.commit()
            ids = {d.code: d.id for d in s.exec(select(Device)).all()}
        with engine.begin() as conn:
            for code, state in (("k1", "online"), ("k2", "online"), ("k3", "offline")):
                health.note_status(conn, device_id=ids[code], state=state,
                                   sent_at=now - timedelta(hours=1))
            for i in range(24):
                at = now - timedelta(minutes=5 * (24 - i))
                health.note_heartbeats(conn, [health.Beat(ids["k1"], at, heartbeat(
                    queue_depth=(i * 7) % 5, printer="ok", scale_present=True,
                    card_reader_present=True, cpu_temp_c=48.5, catalog_version=7,
                    config_version=3, disk_total_mb=30000))], received_at=at)
            health.note_heartbeats(conn, [health.Beat(ids["k2"], now, heartbeat(
                printer="paper_out"))], received_at=now)
        from hub.fleet import alerts
        with engine.begin() as conn:
            alerts.evaluate(conn, now=now)
        _no_broker(client)
        login(client)
        yield client


def _no_broker(client: TestClient) -> None:
    """Point the pages at a port nobody listens on: commands stay queued, as when the broker
    is away (a broker may well run on this machine's default port)."""
    state = client.app.state.admin_shell.admin.state  # type: ignore[attr-defined]
    state.fleet_settings = state.fleet_settings.model_copy(update={"mqtt_port": free_port()})


def _id(client: TestClient, code: str) -> int:
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        found = s.exec(select(Device.id).where(Device.code == code)).first()
        assert found is not None
        return found


@pytest.mark.parametrize(("lang", "words"), [("en", ("Fleet overview", "Online", "Out of paper")),
                                             ("zh_Hans", ("设备总览", "在线", "缺纸"))])
def test_overview_lists_devices_per_site_in_both_languages(
        shell: TestClient, lang: str, words: tuple[str, ...]) -> None:
    page = shell.get(f"/admin/fleet?lang={lang}")
    assert page.status_code == 200
    for w in words:
        assert w in page.text
    assert 'data-site="north"' in page.text and 'data-site="south"' in page.text
    assert re.search(r'data-count="online">2<', page.text)
    assert re.search(r'data-count="alert">1<', page.text)


def test_overview_filters_by_state_and_site(shell: TestClient) -> None:
    offline = shell.get("/admin/fleet?state=offline&lang=en").text
    assert 'data-device="k3"' in offline and 'data-device="k1"' not in offline
    alert = shell.get("/admin/fleet?state=alert&lang=en").text
    assert 'data-device="k2"' in alert and 'data-alert="paper_out"' in alert
    assert 'data-device="k1"' not in alert
    north = shell.get("/admin/fleet?site=north&state=bogus&lang=en").text
    assert 'data-device="k1"' in north and 'data-device="k3"' not in north


def test_device_page_has_chart_and_a_command_button_that_records_a_command(
        shell: TestClient) -> None:
    k1 = _id(shell, "k1")
    page = shell.get(f"/admin/fleet/devices/{k1}?lang=en")
    assert page.status_code == 200
    assert 'data-testid="heartbeat-chart"' in page.text and page.text.count("<rect") >= 20
    assert "48.5 °C" in page.text
    # No broker in this test: the command is stored and stays queued for the monitor.
    sent = shell.post(f"/admin/fleet/devices/{k1}/commands", data={"name": "print_test_page"})
    assert sent.status_code == 303 and "sent=queued" in sent.headers["location"]
    with Session(shell.app.state.engine) as s:  # type: ignore[attr-defined]
        cmd = s.exec(select(FleetCommand).where(FleetCommand.device_id == k1)).one()
        assert cmd.name == "print_test_page" and cmd.status == "queued"
    again = shell.get(f"/admin/fleet/devices/{k1}?lang=zh_Hans")
    assert "打印测试页" in again.text and "排队中" in again.text


def test_unknown_command_and_unknown_device_are_refused(shell: TestClient) -> None:
    k1 = _id(shell, "k1")
    bad = shell.post(f"/admin/fleet/devices/{k1}/commands?lang=en", data={"name": "format_disk"})
    assert bad.status_code == 400 and "Unknown command" in bad.text
    assert shell.get("/admin/fleet/devices/999999?lang=en").status_code == 404


def test_rollout_form_refuses_bad_input_then_starts_pauses_and_resumes(
        shell: TestClient) -> None:
    bad = shell.post("/admin/fleet/rollouts/new?lang=en",
                     data={"kind": "config", "idle_reset_s": "5", "first_percent": "50"})
    assert bad.status_code == 400 and "Idle reset" in bad.text
    lang = shell.post("/admin/fleet/rollouts/new?lang=en", data={
        "kind": "config", "languages": "fr", "first_percent": "50"})
    assert lang.status_code == 400 and "languages" in lang.text
    with Session(shell.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(Rollout)).first() is None  # nothing written by a refusal
    ok = shell.post("/admin/fleet/rollouts/new", data={
        "kind": "config", "name": "summer", "idle_reset_s": "60", "layout": "list",
        "first_percent": "50", "step_timeout_s": "300", "max_failure_pct": "20"})
    assert ok.status_code == 303
    page = shell.get("/admin/fleet/rollouts?lang=en").text
    assert "summer" in page and 'data-status="running"' in page
    with Session(shell.app.state.engine) as s:  # type: ignore[attr-defined]
        rid = s.exec(select(Rollout.id)).one()
    assert shell.post(f"/admin/fleet/rollouts/{rid}/pause").status_code == 303
    assert 'data-status="paused"' in shell.get("/admin/fleet/rollouts").text
    assert shell.post(f"/admin/fleet/rollouts/{rid}/pause").status_code == 400  # not running
    assert shell.post(f"/admin/fleet/rollouts/{rid}/resume").status_code == 303
    assert shell.post(f"/admin/fleet/rollouts/{rid}/explode").status_code == 404
    zh = shell.get("/admin/fleet/rollouts?lang=zh_Hans").text
    assert "发布" in zh and "运行中" in zh


def test_a_manager_sees_the_fleet_but_cannot_command(tmp_path: Path) -> None:
    with admin_shell(tmp_path) as client:
        with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
            site = Site(code="s1", name_zh="一", name_en="One")
            s.add(site)
            s.flush()
            assert site.id
            s.add(Device(code="kx", kind=DeviceKind.KIOSK, site_id=site.id))
            create_user(session=s, data=UserCreate(username="mgr", password="manager-pass-1",
                                                   role=Role.MANAGER))
            s.commit()
            dev = s.exec(select(Device.id)).one()
        _no_broker(client)
        assert client.post("/admin/login", data={"username": "mgr",
                                                 "password": "manager-pass-1"}).status_code == 302
        assert client.get("/admin/fleet").status_code == 200
        page = client.get(f"/admin/fleet/devices/{dev}")
        assert page.status_code == 200 and 'data-testid="command-buttons"' not in page.text
        assert client.post(f"/admin/fleet/devices/{dev}/commands",
                           data={"name": "restart_app"}).status_code == 403
