"""/api/v1/fleet: admins only; the password is in the issuing answer and nowhere else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.fleet.passwd import verify_mosquitto_hash
from hub.models import Device, DeviceKind, Site
from hub.models.users import Role
from protocol.topics import status_topic

pytestmark = pytest.mark.usefixtures("client")
Auth = Callable[[Role | str], dict[str, str]]


def make_device(
    session: Session, code: str = "kiosk-1", kind: DeviceKind = DeviceKind.KIOSK
) -> int:
    """A site and a device at it; returns the device id."""
    site = Site(code="site-1", name_zh="一食堂", name_en="Canteen 1")
    session.add(site)
    session.flush()
    assert site.id is not None
    device = Device(code=code, kind=kind, site_id=site.id)
    session.add(device)
    session.commit()
    assert device.id is not None
    return device.id


def test_admin_issues_and_the_files_follow(
    client: TestClient, db_session: Session, auth: Auth
) -> None:
    device_id = make_device(db_session)
    r = client.post(f"/api/v1/fleet/devices/{device_id}/credentials", headers=auth(Role.ADMIN))
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    issued = r.json()
    assert issued["username"] == "kiosk-1" and len(issued["password"]) >= 40
    files = client.get("/api/v1/fleet/broker-acl", headers=auth(Role.ADMIN)).json()
    assert issued["password"] not in str(files)
    line = next(x for x in files["password_file"].splitlines() if x.startswith("kiosk-1:"))
    assert verify_mosquitto_hash(issued["password"], line.split(":", 1)[1])
    assert "user kiosk-1" in files["acl_file"]
    assert f"topic write {status_topic('site-1', 'kiosk-1')}" in files["acl_file"]
    # Rotation: a new password, the old hash gone from the file.
    again = client.post(f"/api/v1/fleet/devices/{device_id}/credentials", headers=auth(Role.ADMIN))
    files2 = client.get("/api/v1/fleet/broker-acl", headers=auth(Role.ADMIN)).json()
    assert again.json()["password"] != issued["password"]
    assert line not in files2["password_file"]
    # Revocation: the device leaves both files.
    gone = client.delete(f"/api/v1/fleet/devices/{device_id}/credentials", headers=auth(Role.ADMIN))
    assert gone.status_code == 204
    files3 = client.get("/api/v1/fleet/broker-acl", headers=auth(Role.ADMIN)).json()
    assert "kiosk-1" not in files3["password_file"] and "user kiosk-1" not in files3["acl_file"]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_other_roles_are_refused(
    client: TestClient, db_session: Session, auth: Auth, role: Role
) -> None:
    device_id = make_device(db_session)
    r = client.post(f"/api/v1/fleet/devices/{device_id}/credentials", headers=auth(role))
    assert r.status_code == 403
    assert client.get("/api/v1/fleet/broker-acl", headers=auth(role)).status_code == 403
    assert db_session.get(Device, device_id).credential_hash is None  # type: ignore[union-attr]


def test_unknown_and_disabled_devices(client: TestClient, db_session: Session, auth: Auth) -> None:
    assert client.post("/api/v1/fleet/devices/999/credentials",
                       headers=auth(Role.ADMIN)).status_code == 404
    device_id = make_device(db_session)
    device = db_session.get(Device, device_id)
    assert device is not None
    device.active = False
    db_session.add(device)
    db_session.commit()
    r = client.post(f"/api/v1/fleet/devices/{device_id}/credentials", headers=auth(Role.ADMIN))
    assert r.status_code == 409
