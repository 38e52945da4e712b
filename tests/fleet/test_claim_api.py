"""Claim codes over the API: made by an admin, used once by a device, refused otherwise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.app import create_app
from hub.fleet import render_broker_files
from hub.fleet.claim import MAX_FAILURES
from hub.models import Device, DeviceKind, Site
from hub.models.fleet import BrokerAccount
from hub.models.fleet_access import ClaimAttempt, ClaimCode
from hub.models.users import Role
from hub.security import create_access_token
from hub.settings import Settings
from protocol.claim import ClaimGrant, parse_claim_qr
from tests.hub.conftest import ensure_user, make_settings

CLAIM = "/api/v1/fleet/claim"
CODES = "/api/v1/fleet/claim-codes"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    settings = make_settings(tmp_path, mqtt_host="site-broker.local", mqtt_port=1883)
    with TestClient(create_app(settings)) as client:
        with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
            s.add(Site(code="site-1", name_zh="一食堂", name_en="Canteen 1",
                       timezone="Asia/Shanghai"))
            s.add(Site(code="Site_Upper", name_zh="大写", name_en="Upper"))
            s.commit()
        yield client, settings


def headers(client: TestClient, settings: Settings, role: Role = Role.ADMIN) -> dict[str, str]:
    user = ensure_user(client.app, username=f"{role.value}-user", role=role)  # type: ignore[arg-type]
    token = create_access_token(username=user.username, role=role,
                                secret=settings.secret_key.get_secret_value(), minutes=5)
    return {"Authorization": f"Bearer {token}"}


def site_id(client: TestClient, code: str = "site-1") -> int:
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        found = s.exec(select(Site.id).where(Site.code == code)).one()
        assert found is not None
        return found


def count(client: TestClient, model: Any) -> int:
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        return int(s.exec(select(sa.func.count()).select_from(model)).one())


def make_code(client: TestClient, settings: Settings, **over: Any) -> dict[str, Any]:
    body = {"site_id": site_id(client), "kind": "kiosk", "device_code": "kiosk-7",
            "device_name": "东门 East door", **over}
    r = client.post(CODES, json=body, headers=headers(client, settings))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def test_a_device_claims_its_identity_and_login_once(
    hub: tuple[TestClient, Settings],
) -> None:
    client, settings = hub
    issued = make_code(client, settings, kind="kds", device_code="kds-7")
    assert refused_naming_fields(client.post(CODES, json={}, headers=headers(client, settings)))
    # Shown once, as text, QR text and a QR image; the list later shows only its hint.
    hub_url, code = parse_claim_qr(issued["qr_text"])
    assert code == issued["code"] and hub_url.startswith("http")
    assert issued["qr_svg"].lstrip().startswith("<?xml") and "<svg" in issued["qr_svg"]
    listed = client.get(CODES, headers=headers(client, settings)).json()
    assert [c["state"] for c in listed] == ["open"]
    assert issued["code"] not in str(listed) and listed[0]["hint"] == code.replace("-", "")[-4:]
    # The device has no token: the code is its credential. Typed in lower case with spaces.
    r = client.post(CLAIM, json={"code": code.lower().replace("-", " ")})
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    grant = ClaimGrant.model_validate(r.json())
    assert (grant.site, grant.device, grant.kind, grant.username) == (
        "site-1", "kds-7", "kds", "kds-7")
    assert grant.kitchen_username == "kds-7-kitchen"
    assert (grant.broker_host, grant.broker_port, grant.tls_ca_pem) == (
        "site-broker.local", 1883, None)
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        device = s.exec(select(Device).where(Device.code == "kds-7")).one()
        assert device.active and device.name == "东门 East door"
        files = render_broker_files(s)
    # File mode: the login is in the broker's files (the agent's and the kitchen link's).
    assert {"kds-7", "kds-7-kitchen"} <= set(files.users)
    assert grant.password not in files.password_file
    # Once only: the same code again is refused, and nothing more is written.
    devices = count(client, Device)
    again = client.post(CLAIM, json={"code": code})
    assert again.status_code == 403 and "used" in again.json()["detail"]
    assert count(client, Device) == devices
    assert [c["state"] for c in client.get(CODES, headers=headers(client, settings)).json()] \
        == ["claimed"]


def refused_naming_fields(r: Any) -> bool:
    """An invalid code request is refused (422) with the fields named."""
    fields = {tuple(d["loc"])[-1] for d in r.json()["detail"]}
    return bool(r.status_code == 422 and {"site_id", "kind", "device_code"} <= fields)


BAD_CODE_REQUESTS: list[tuple[dict[str, Any], int, str | None]] = [
    ({"device_code": "Kiosk 7"}, 422, "device_code"),
    ({"device_code": "k" * 33}, 422, "device_code"),
    ({"kind": "toaster"}, 422, "kind"),
    ({"ttl_minutes": 4}, 422, "ttl_minutes"),
    ({"ttl_minutes": 7 * 24 * 60 + 1}, 422, "ttl_minutes"),
    ({"site_id": 999}, 422, "site_id"),
    ({"site": "upper"}, 422, "site_id"),
    ({"device_code": "kiosk-1"}, 409, None),
]


def test_bad_code_requests_are_refused_and_write_nothing(
    hub: tuple[TestClient, Settings],
) -> None:
    client, settings = hub
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        s.add(Device(code="kiosk-1", kind=DeviceKind.KIOSK, site_id=site_id(client)))
        s.commit()
    for over, status, field in BAD_CODE_REQUESTS:
        body: dict[str, Any] = {"site_id": site_id(client), "kind": "kiosk",
                                "device_code": "k-7"}
        extra = dict(over)
        if extra.pop("site", None):
            body["site_id"] = site_id(client, "Site_Upper")
        body.update(extra)
        r = client.post(CODES, json=body, headers=headers(client, settings))
        assert r.status_code == status, (over, r.text)
        if field:
            assert field in str(r.json()["detail"]), over
    assert count(client, ClaimCode) == 0


def test_only_an_admin_makes_codes_and_a_claim_needs_a_valid_body(
    hub: tuple[TestClient, Settings],
) -> None:
    client, settings = hub
    body = {"site_id": site_id(client), "kind": "kiosk", "device_code": "k-7"}
    assert client.post(CODES, json=body).status_code == 401
    assert client.post(CODES, json=body,
                       headers=headers(client, settings, Role.MANAGER)).status_code == 403
    for bad in ({}, {"code": "short"}, {"code": "ABCD-EFGH-JKMN", "x": 1}, {"code": 5}):
        assert client.post(CLAIM, json=bad).status_code == 422
    assert count(client, ClaimCode) == 0 and count(client, Device) == 0


def test_expired_and_cancelled_codes_are_refused(
    hub: tuple[TestClient, Settings],
) -> None:
    client, settings = hub
    cancelled = make_code(client, settings, device_code="k-1")
    r = client.delete(f"{CODES}/{cancelled['id']}", headers=headers(client, settings))
    assert r.status_code == 204
    expired = make_code(client, settings, device_code="k-2")
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        row = s.get(ClaimCode, expired["id"])
        assert row is not None
        row.expires_at = row.created_at - timedelta(seconds=1)
        s.add(row)
        s.commit()
    for issued in (cancelled, expired):
        r = client.post(CLAIM, json={"code": issued["code"]})
        assert r.status_code == 403, r.text
    states = {c["device_code"]: c["state"]
              for c in client.get(CODES, headers=headers(client, settings)).json()}
    assert states == {"k-1": "cancelled", "k-2": "expired"}
    assert count(client, Device) == 0
    assert client.delete(f"{CODES}/999", headers=headers(client, settings)).status_code == 404


def test_guessing_is_cut_off_per_address(hub: tuple[TestClient, Settings]) -> None:
    client, settings = hub
    issued = make_code(client, settings)
    wrong: Callable[[], int] = lambda: client.post(  # noqa: E731
        CLAIM, json={"code": "ABCD-EFGH-JKMN"}).status_code
    assert [wrong() for _ in range(MAX_FAILURES)] == [403] * MAX_FAILURES
    # Now even the right code is refused from this address, without being looked at.
    r = client.post(CLAIM, json={"code": issued["code"]})
    assert r.status_code == 429 and "too many" in r.json()["detail"]
    assert count(client, Device) == 0
    assert count(client, ClaimAttempt) == MAX_FAILURES
    # The code itself is still good: once the window has passed, it works.
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        for attempt in s.exec(select(ClaimAttempt)).all():
            attempt.at -= timedelta(hours=1)
            s.add(attempt)
        s.commit()
    assert client.post(CLAIM, json={"code": issued["code"]}).status_code == 201


def test_decommissioning_disables_the_device_and_drops_its_login(
    hub: tuple[TestClient, Settings],
) -> None:
    client, settings = hub
    issued = make_code(client, settings)
    assert client.post(CLAIM, json={"code": issued["code"]}).status_code == 201
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        device = s.exec(select(Device).where(Device.code == "kiosk-7")).one()
    r = client.post(f"/api/v1/fleet/devices/{device.id}/decommission",
                    headers=headers(client, settings))
    assert r.status_code == 200, r.text
    assert r.json()["had_login"] is True and r.json()["cut_off_now"] is False
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        device = s.exec(select(Device).where(Device.code == "kiosk-7")).one()
        assert not device.active and device.credential_hash is None
        assert s.exec(select(BrokerAccount)).all() == []
        assert "kiosk-7" not in render_broker_files(s).users
    assert client.post("/api/v1/fleet/devices/999/decommission",
                       headers=headers(client, settings)).status_code == 404
