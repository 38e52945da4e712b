"""Sign-in with a one-time code mailed through a real SMTP server (aiosmtpd), and every
refusal: wrong, expired, used and over-tried codes, rate limits, a mail server that is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select, update

from hub.db_types import utcnow
from hub.member_portal import signin
from hub.models.member_portal import MemberSession, SignInCode
from tests.member_portal.conftest import Diner, mailed_code, seed_diner
from tests.notify.conftest import SmtpServer

CODE_URL = "/api/v1/me/sign-in/code"
SIGN_IN_URL = "/api/v1/me/sign-in"


@pytest.fixture
def diner(client: TestClient) -> Diner:
    return seed_diner(client, "M1001", cents=5000, name="张小明")


def _ask(client: TestClient, identifier: str) -> str:
    r = client.post(CODE_URL, json={"identifier": identifier})
    assert r.status_code == 202, r.text
    return str(r.json()["challenge"])


def test_a_member_signs_in_with_the_mailed_code(client: TestClient, smtp: SmtpServer,
                                                diner: Diner, db_session: Session) -> None:
    challenge = _ask(client, diner.member_no)
    code = mailed_code(smtp, diner.email)
    mail = smtp.mails[0]
    assert mail["From"] == "canteen@example.test" and "验证码" in mail["Subject"]
    row = db_session.exec(select(SignInCode)).one()
    assert code not in row.code_hash and row.channel == "email"  # kept as an HMAC only
    r = client.post(SIGN_IN_URL, json={"challenge": challenge, "code": code})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert "canteen_member=mps_" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie.replace("Strict", "strict") and "Max-Age=43200" in cookie
    token = r.json()["token"]
    stored = db_session.exec(select(MemberSession)).one()
    assert stored.token_hash == signin.token_hash(token) and token not in stored.token_hash
    me = client.get("/api/v1/me")  # the cookie the answer set
    assert me.status_code == 200 and me.json()["member_no"] == "M1001"
    # The code works once.
    again = client.post(SIGN_IN_URL, json={"challenge": challenge, "code": code})
    assert again.status_code == 403 and "already used" in again.json()["detail"]
    # Sign out ends the session for good, cookie or token.
    out = client.post("/api/v1/me/sign-out", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 204
    client.cookies.clear()
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]


def test_a_phone_number_signs_in_too_and_a_stranger_learns_nothing(
        client: TestClient, smtp: SmtpServer, diner: Diner, db_session: Session) -> None:
    r = client.post(CODE_URL, json={"identifier": "M9999"})  # nobody
    assert r.status_code == 202 and r.json()["challenge"]
    assert db_session.exec(select(SignInCode)).first() is None
    bad = client.post(SIGN_IN_URL, json={"challenge": r.json()["challenge"], "code": "123456"})
    assert bad.status_code == 403 and bad.json()["detail"] == "wrong code"
    assert smtp.mails == []


def test_wrong_expired_and_over_tried_codes_are_refused(
        client: TestClient, smtp: SmtpServer, diner: Diner, db_session: Session) -> None:
    challenge = _ask(client, diner.member_no)
    code = mailed_code(smtp, diner.email)
    wrong = "000000" if code != "000000" else "111111"
    r = client.post(SIGN_IN_URL, json={"challenge": challenge, "code": wrong})
    assert r.status_code == 403 and r.json()["detail"] == "wrong code (4 tries left)"
    r = client.post(SIGN_IN_URL, json={"challenge": challenge, "code": "12345"})
    assert r.status_code == 422  # not 6 digits: refused before any try is counted
    for left in (3, 2, 1, 0):
        r = client.post(SIGN_IN_URL, json={"challenge": challenge, "code": wrong})
        assert r.json()["detail"] == f"wrong code ({left} tries left)"
    r = client.post(SIGN_IN_URL, json={"challenge": challenge, "code": code})
    assert r.status_code == 429 and "too many wrong tries" in r.json()["detail"]
    assert db_session.exec(select(MemberSession)).first() is None

    challenge = _ask(client, diner.member_no)
    code = mailed_code(smtp, diner.email, 2)
    db_session.exec(update(SignInCode).where(col(SignInCode.challenge) == challenge)
                    .values(expires_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    r = client.post(SIGN_IN_URL, json={"challenge": challenge, "code": code})
    assert r.status_code == 403 and "expired" in r.json()["detail"]
    assert db_session.exec(select(MemberSession)).first() is None


def test_codes_are_rate_limited_per_member_and_per_address(
        client: TestClient, smtp: SmtpServer, diner: Diner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(signin.CODES_PER_MEMBER):
        _ask(client, diner.member_no)
    r = client.post(CODE_URL, json={"identifier": diner.member_no})
    assert r.status_code == 429 and "this member" in r.json()["detail"]
    assert r.headers["retry-after"] == "3600"
    assert len(smtp.mails) == signin.CODES_PER_MEMBER
    other = seed_diner(client, "M1002", cents=100, name="李四")
    monkeypatch.setattr(signin, "CODES_PER_ADDRESS", signin.CODES_PER_MEMBER + 1)
    _ask(client, other.member_no)
    r = client.post(CODE_URL, json={"identifier": other.member_no})
    assert r.status_code == 429 and "this address" in r.json()["detail"]


def test_a_mail_server_that_is_down_keeps_nothing(
        client: TestClient, smtp: SmtpServer, diner: Diner, db_session: Session) -> None:
    smtp.stop()
    r = client.post(CODE_URL, json={"identifier": diner.member_no})
    assert r.status_code == 503 and "could not be sent" in r.json()["detail"]
    assert db_session.exec(select(SignInCode)).first() is None  # not counted, not kept
    smtp.start()
    _ask(client, diner.member_no)
    assert mailed_code(smtp, diner.email)
