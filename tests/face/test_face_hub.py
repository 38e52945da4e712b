"""The hub's side of face-ID: a kiosk's enrolment ingested, templates encrypted at rest and
sealed per site, consent withdrawal and erasure removing the template from the device."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from edge_agent import face_store
from edge_agent.downlinks import DownlinkApplier
from edge_agent.store import DeviceStore
from hub.face.service import ingest_enrolments
from hub.ingest.directory import KnownDevice
from hub.ingest.handlers import Stored
from hub.models.audit import AuditLog
from hub.models.face import FaceTemplate
from hub.models.users import Role
from protocol import make_envelope
from protocol.face import FaceEnrolled, open_template, seal_template
from protocol.face import FaceTemplate as WireTemplate
from protocol.ids import new_message_id
from protocol.member_cache import MemberCacheDelta
from tests.hub.conftest import STRONG_SECRETS
from tests.support.identity import make_member

Auth = Callable[[Role], dict[str, str]]
VECTOR = [round(0.01 * ((i * 37) % 21 - 10), 4) for i in range(128)]


def _site(client: TestClient, auth: Auth) -> tuple[int, bytes]:
    r = client.post("/api/v1/sites", json={"code": "hq", "name_zh": "总部食堂",
                                           "name_en": "HQ canteen"}, headers=auth(Role.ADMIN))
    assert r.status_code == 201, r.text
    site = int(r.json()["id"])
    keys = client.get(f"/api/v1/identity/sites/{site}/device-keys", headers=auth(Role.ADMIN))
    return site, str(keys.json()["identifier_key"]).encode()


def _delta(client: TestClient, auth: Auth, site: int, v: int) -> MemberCacheDelta | None:
    r = client.get(f"/api/v1/identity/sites/{site}/member-delta",
                   params={"from_version": v}, headers=auth(Role.MANAGER))
    if r.status_code == 204:
        return None
    assert r.status_code == 200, r.text
    return MemberCacheDelta.model_validate(r.json())


def _enrolment(member_no: str, key: bytes, vector: list[float] = VECTOR) -> FaceEnrolled:
    tid = new_message_id()
    return FaceEnrolled(
        member_id=member_no,
        template=WireTemplate(template_id=tid, model="dlib-resnet-v1",
                              sealed=seal_template(vector, site_key=key, member_id=member_no,
                                                   template_id=tid)),
        consent_version="face_v1", consent_lang="zh_Hans",
        consented_at=datetime(2025, 3, 5, 4, 0, tzinfo=UTC), frames=3)


def _ingest(client: TestClient, site: int, enrolment: FaceEnrolled,
            monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    for name, value in STRONG_SECRETS.items():  # the ingest worker reads its settings from env
        monkeypatch.setenv(f"CANTEEN_{name.upper()}", value)
    env = make_envelope("face.enrolled", enrolment, site="hq", device="kiosk-1")
    counts: Counter[str] = Counter()
    engine = client.app.state.engine  # type: ignore[attr-defined]
    device = KnownDevice(device_id=1, site_id=site, site_code="hq",
                         tz=ZoneInfo("Asia/Shanghai"), active=True)
    with engine.begin() as conn:
        ingest_enrolments(conn, [Stored(env, device)], counts)
    return counts


def test_enrol_sealed_per_site_and_withdrawal_removes_it_from_the_device(
        client: TestClient, auth: Auth, db_session: Session, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    site, key = _site(client, auth)
    mid = make_member(client, auth, no="M0001", name="张伟")
    status = client.get(f"/api/v1/members/{mid}/face", headers=auth(Role.CASHIER))
    assert status.status_code == 200 and status.json()["enrolled"] is False
    assert _ingest(client, site, _enrolment("M0001", key), monkeypatch)["face.enrolled"] == 1
    status = client.get(f"/api/v1/members/{mid}/face", headers=auth(Role.CASHIER)).json()
    assert status["enrolled"] and status["consent_face_at"] and "template" not in status
    row = db_session.exec(select(FaceTemplate)).one()
    assert "0.01" not in row.template_encrypted and row.template_encrypted.startswith("gAAAA")
    assert db_session.exec(select(AuditLog).where(AuditLog.action == "face.enrol")).first()

    delta = _delta(client, auth, site, 0)
    assert delta is not None
    with_face = [m for m in delta.upserts if m.face is not None]
    assert len(with_face) == 1  # the member-code row only, not the cards
    face = with_face[0].face
    assert face is not None
    vector = open_template(face.sealed, site_key=key, member_id="M0001",
                           template_id=face.template_id)
    assert np.allclose(vector, VECTOR, atol=1e-6)
    again = _delta(client, auth, site, delta.to_version)
    assert again is None  # same bytes each build: nothing re-sent

    with DeviceStore(tmp_path / "dev.db", site_id="hq", device_id="kiosk-1") as store:
        applier = DownlinkApplier(store.conn, site_id="hq")
        applier.apply_member_delta(delta)
        assert face_store.template_of(store.conn, "M0001") is not None
        r = client.patch(f"/api/v1/members/{mid}", json={"consent_face": False},
                         headers=auth(Role.ADMIN))
        assert r.status_code == 200 and r.json()["consent_face_at"] is None
        assert db_session.exec(select(FaceTemplate)).first() is None
        withdrawn = _delta(client, auth, site, delta.to_version)
        assert withdrawn is not None
        applier.apply_member_delta(withdrawn)
        assert face_store.template_of(store.conn, "M0001") is None
        assert store.conn.execute("SELECT count(*) FROM face_templates").fetchone()[0] == 0
        assert store.lookup_member(delta.upserts[0].identifier_hash) is not None  # still a member


def test_erasing_the_member_erases_the_template_everywhere(
        client: TestClient, auth: Auth, db_session: Session, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    site, key = _site(client, auth)
    mid = make_member(client, auth, no="M0002", name="李娜")
    _ingest(client, site, _enrolment("M0002", key), monkeypatch)
    delta = _delta(client, auth, site, 0)
    assert delta is not None
    with DeviceStore(tmp_path / "dev.db", site_id="hq", device_id="kiosk-1") as store:
        applier = DownlinkApplier(store.conn, site_id="hq")
        applier.apply_member_delta(delta)
        assert face_store.template_of(store.conn, "M0002") is not None
        r = client.delete(f"/api/v1/members/{mid}", headers=auth(Role.ADMIN))
        assert r.status_code == 204, r.text
        assert db_session.exec(select(FaceTemplate)).first() is None
        gone = _delta(client, auth, site, delta.to_version)
        assert gone is not None and gone.removals
        applier.apply_member_delta(gone)
        assert face_store.template_of(store.conn, "M0002") is None


def test_desk_enrolment_and_withdrawal_api(client: TestClient, auth: Auth,
                                           db_session: Session) -> None:
    mid = make_member(client, auth, no="M0003")
    body = {"template": VECTOR, "template_id": new_message_id(), "model": "dlib-resnet-v1",
            "consent": True, "consent_lang": "en"}
    r = client.put(f"/api/v1/members/{mid}/face", json=body, headers=auth(Role.CASHIER))
    assert r.status_code == 200, r.text
    assert r.json()["enrolled"] and r.json()["enrolled_by"].startswith("user:")
    r = client.delete(f"/api/v1/members/{mid}/face", headers=auth(Role.CASHIER))
    assert r.status_code == 204
    st = client.get(f"/api/v1/members/{mid}/face", headers=auth(Role.CASHIER)).json()
    assert st["enrolled"] is False and st["consent_face_at"] is None


@pytest.mark.parametrize(("change", "field"), [
    ({"template": VECTOR[:127]}, "template"),
    ({"template": [*VECTOR[:127], 1e9]}, "template"),
    ({"consent": False}, "consent"),
    ({"template_id": "not-a-uuid"}, "template_id"),
    ({"consent_lang": "fr"}, "consent_lang"),
])
def test_bad_desk_enrolments_are_refused_and_write_nothing(
        client: TestClient, auth: Auth, db_session: Session, change: dict[str, object],
        field: str) -> None:
    mid = make_member(client, auth, no="M0004")
    body = {"template": VECTOR, "template_id": new_message_id(), "model": "dlib-resnet-v1",
            "consent": True, "consent_lang": "en", **change}
    r = client.put(f"/api/v1/members/{mid}/face", json=body, headers=auth(Role.CASHIER))
    assert r.status_code == 422, r.text
    assert field in r.text
    assert db_session.exec(select(FaceTemplate)).first() is None


def test_face_routes_need_a_member_desk_role_and_a_member(client: TestClient,
                                                          auth: Auth) -> None:
    assert client.get("/api/v1/members/1/face").status_code == 401
    assert client.get("/api/v1/members/999/face", headers=auth(Role.CASHIER)).status_code == 404
    assert client.delete("/api/v1/members/999/face",
                         headers=auth(Role.CASHIER)).status_code == 404


def test_an_enrolment_that_does_not_open_is_counted_not_stored(
        client: TestClient, auth: Auth, db_session: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    site, _key = _site(client, auth)
    make_member(client, auth, no="M0005")
    counts = _ingest(client, site, _enrolment("M0005", b"another site's key"), monkeypatch)
    assert counts["face.bad_template"] == 1
    counts = _ingest(client, site, _enrolment("NOBODY", _key), monkeypatch)
    assert counts["face.unknown_member"] == 1
    assert db_session.exec(select(FaceTemplate)).first() is None
