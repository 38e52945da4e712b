"""Member changes audited (masked, with the actor); welcome coupon at creation; local member day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from hub.coupons.issue import issue_welcome_coupons
from hub.coupons.promotions import site_promotions
from hub.models.audit import AuditLog
from hub.models.coupons import Coupon
from hub.models.sites import Site
from hub.models.users import Role
from tests.support.identity import make_member, template

Auth = Callable[[Role], dict[str, str]]


def _member_audit(session: Session) -> list[tuple[str, str, dict | None, dict | None]]:
    session.expire_all()
    rows = session.exec(
        select(AuditLog).where(AuditLog.entity == "member").order_by(col(AuditLog.id))
    ).all()
    return [(r.action, r.actor, r.before, r.after) for r in rows]


def _coupons(session: Session) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(Coupon)).one())


def test_create_update_consent_delete_are_audited_masked_with_actor(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    m = make_member(client, auth, birthday="1990-03-05", consent_data=True)
    (action, actor, before, after), = _member_audit(db_session)
    assert (action, actor, before) == ("member.create", "admin-user", None)
    assert after is not None
    assert after["phone"] == "138****8000" and after["name"] == "张*明"
    assert after["birthday"] == "****-**-**" and after["employer"] == "Acme"
    assert after["consent_data"] is True and after["consent_face"] is False
    # A manager changes the phone and department and withdraws data consent.
    r = client.patch(f"/api/v1/members/{m}", headers=auth(Role.MANAGER),
                     json={"phone": "13912345678", "department": "IT", "consent_data": False,
                           "name": "张小明"})  # same name: not a change, not recorded
    assert r.status_code == 200, r.text
    rows = _member_audit(db_session)[1:]
    assert rows == [
        ("member.update", "manager-user", {"department": None, "phone": "138****8000"},
         {"department": "IT", "phone": "139****5678"}),
        ("member.consent", "manager-user", {"consent_data": True}, {"consent_data": False}),
    ]
    # Nothing in clear anywhere in the log.
    text = str(_member_audit(db_session))
    assert "13800138000" not in text and "13912345678" not in text and "张小明" not in text
    # A refused change writes neither the change nor an audit record.
    other = make_member(client, auth, no="M0002", name="李雷", phone="13700137000")
    count = len(_member_audit(db_session))
    r = client.patch(f"/api/v1/members/{other}", headers=auth(Role.MANAGER),
                     json={"phone": "13912345678"})
    assert r.status_code == 409
    r = client.patch(f"/api/v1/members/{other}", headers=auth(Role.MANAGER),
                     json={"department": "Ops", "name": None})
    assert r.status_code == 422
    assert len(_member_audit(db_session)) == count
    assert client.get(f"/api/v1/members/{other}", headers=auth(Role.ADMIN)).json()[
        "department"] is None
    # Delete: the masked profile as it was, by the admin who did it.
    assert client.delete(f"/api/v1/members/{other}", headers=auth(Role.ADMIN)).status_code == 204
    action, actor, before, after = _member_audit(db_session)[-1]
    assert (action, actor, after) == ("member.delete", "admin-user", None)
    assert before is not None and before["phone"] == "137****7000" and before["name"] == "李*"


def test_welcome_coupon_at_creation_once(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    make_member(client, auth)  # before any welcome template: none at creation
    assert _coupons(db_session) == 0
    template(client, auth, code="WELCOME", auto_issue="welcome")
    b = make_member(client, auth, no="M0002", name="李雷", phone="13700137000")
    db_session.expire_all()
    issued = db_session.exec(select(Coupon).where(Coupon.member_id == b)).all()
    assert [(c.source, c.issued_by) for c in issued] == [("welcome", "admin-user")]
    now = datetime(2025, 3, 3, 8, tzinfo=UTC)
    # The scheduled run gives the first member theirs, and the new one nothing more.
    assert issue_welcome_coupons(session=db_session, now=now) == 1
    assert issue_welcome_coupons(session=db_session, now=now) == 0
    assert _coupons(db_session) == 2
    # A switched-off template gives nothing at creation.
    tid = db_session.exec(select(Coupon.template_id)).first()
    client.put(f"/api/v1/coupon-templates/{tid}/active", json={"active": False},
               headers=auth(Role.MANAGER))
    make_member(client, auth, no="M0003", name="王五", phone="13600136000")
    assert _coupons(db_session) == 2


def test_member_day_weekday_is_the_sites_local_day(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    shanghai = Site(code="sh", name_zh="上海", name_en="Shanghai", timezone="Asia/Shanghai")
    london = Site(code="ldn", name_zh="伦敦", name_en="London", timezone="Europe/London")
    db_session.add_all([shanghai, london])
    db_session.commit()
    assert shanghai.id is not None and london.id is not None
    wed = {"code": "WED", "kind": "member_day", "percent_bp": 1000, "weekdays": [2]}
    r = client.post("/api/v1/promotions", json=wed, headers=auth(Role.MANAGER))
    assert r.status_code == 201
    # Frozen clock: Tuesday 4 March 2025 17:00 UTC is Wednesday 01:00 in Shanghai.
    tuesday_utc = datetime(2025, 3, 4, 17, 0, tzinfo=UTC)
    day = site_promotions(session=db_session, site_id=shanghai.id, now=tuesday_utc)
    assert day.promotions.member_day is not None
    assert day.promotions.member_day.percent_bp == 1000
    assert site_promotions(session=db_session, site_id=london.id,
                           now=tuesday_utc).promotions.member_day is None
    # Wednesday 5 March 17:00 UTC is already Thursday in Shanghai, still Wednesday in London.
    wednesday_utc = datetime(2025, 3, 5, 17, 0, tzinfo=UTC)
    assert site_promotions(session=db_session, site_id=shanghai.id,
                           now=wednesday_utc).promotions.member_day is None
    assert site_promotions(session=db_session, site_id=london.id,
                           now=wednesday_utc).promotions.member_day is not None
