"""Claim codes and decommissioning over HTTP: bad input refused with nothing written, a code
shown once, revoking, and managers who read but cannot act."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.models import Device, DeviceKind, Role, Site, UserCreate
from hub.models.fleet_access import ClaimCode
from hub.services.users import create_user
from tests.support.admin import admin_shell, login

NEW = "/admin/fleet/claim-codes/new?lang=en"


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with admin_shell(tmp_path_factory.mktemp("fleet-claims")) as client:
        with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
            north = Site(code="north", name_zh="北区食堂", name_en="North canteen")
            s.add(north)
            s.flush()
            assert north.id is not None
            s.add(Device(code="k1", kind=DeviceKind.KIOSK, site_id=north.id))
            create_user(session=s, data=UserCreate(username="mgr", password="manager-pass-1",
                                                   role=Role.MANAGER))
            s.commit()
        login(client)
        yield client


def _site(shell: TestClient) -> int:
    with Session(shell.app.state.engine) as s:  # type: ignore[attr-defined]
        found = s.exec(select(Site.id).where(Site.code == "north")).one()
        assert found is not None
        return found


def _codes(shell: TestClient) -> int:
    with Session(shell.app.state.engine) as s:  # type: ignore[attr-defined]
        return int(s.exec(select(sa.func.count()).select_from(ClaimCode)).one())


@pytest.mark.parametrize(("form", "why"), [
    ({"site_id": "", "kind": "kiosk", "device_code": "k9"}, "Choose a site"),
    ({"site_id": "999999", "kind": "kiosk", "device_code": "k9"}, "no site with id"),
    ({"kind": "kiosk", "device_code": "Bad Code!"}, "device code: 1-32 of a-z"),
    ({"kind": "toaster", "device_code": "k9"}, "unknown device kind"),
    ({"kind": "kiosk", "device_code": "k9", "ttl_minutes": "3"}, "from 5 minutes to 7 days"),
    ({"kind": "kiosk", "device_code": "k9", "device_name": "x" * 121}, "at most 120"),
    ({"kind": "kiosk", "device_code": "k1"}, "exists already"),
])
def test_bad_input_is_refused_and_nothing_is_written(
        shell: TestClient, form: dict[str, str], why: str) -> None:
    data = {"site_id": str(_site(shell)), **form}
    reply = shell.post(NEW, data=data)
    assert reply.status_code == 400 and why in reply.text, reply.text[-2000:]
    assert 'data-testid="claim-issued"' not in reply.text and _codes(shell) == 0


def test_a_code_is_shown_once_then_only_its_hint_and_can_be_revoked(shell: TestClient) -> None:
    made = shell.post(NEW, data={"site_id": str(_site(shell)), "kind": "kds",
                                 "device_code": "d1", "ttl_minutes": "60"})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    assert 'data-testid="claim-qr"' in made.text and "<svg" in made.text
    code = made.text.split('data-testid="claim-code">', 1)[1].split("<", 1)[0]
    page = shell.get("/admin/fleet/claim-codes?lang=zh_Hans").text
    assert code not in page and f"…{code.replace('-', '')[-4:]}" in page and "厨房显示屏" in page
    again = shell.post(NEW, data={"site_id": str(_site(shell)), "kind": "kds",
                                  "device_code": "d1"})
    assert again.status_code == 400 and "open claim code" in again.text
    with Session(shell.app.state.engine) as s:  # type: ignore[attr-defined]
        row = s.exec(select(ClaimCode).where(ClaimCode.device_code == "d1")).one()
    revoked = shell.post(f"/admin/fleet/claim-codes/{row.id}/revoke")
    assert revoked.status_code == 303
    page = shell.get("/admin/fleet/claim-codes?lang=en").text
    assert 'data-state="cancelled"' in page and "No open codes." in page
    assert shell.post("/admin/fleet/claim-codes/999999/revoke?lang=en").status_code == 400
    assert shell.post("/admin/fleet/devices/999999/decommission").status_code == 404


def test_managers_read_the_page_but_cannot_make_revoke_or_decommission(
        shell: TestClient) -> None:
    manager = TestClient(shell.app, follow_redirects=False)
    assert manager.post("/admin/login", data={"username": "mgr",
                                              "password": "manager-pass-1"}).status_code == 302
    page = manager.get("/admin/fleet/claim-codes?lang=en")
    assert page.status_code == 200 and 'data-testid="claim-form"' not in page.text
    assert manager.post(NEW, data={"site_id": str(_site(shell)), "kind": "kiosk",
                                   "device_code": "k7"}).status_code == 403
    assert manager.post("/admin/fleet/claim-codes/1/revoke").status_code == 403
    with Session(shell.app.state.engine) as s:  # type: ignore[attr-defined]
        k1 = s.exec(select(Device).where(Device.code == "k1")).one()
    device = manager.get(f"/admin/fleet/devices/{k1.id}?lang=en").text
    assert 'data-action="decommission"' not in device
    assert manager.post(f"/admin/fleet/devices/{k1.id}/decommission").status_code == 403
    with Session(shell.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(Device).where(Device.code == "k1")).one().active
