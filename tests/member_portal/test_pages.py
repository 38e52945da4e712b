"""The member web page over HTTP: sign-in forms with their CSRF cookie, the home page's QR
identifying the member at a kiosk (the kiosk's own MemberDirectory, offline, from the
member-cache downlink), coupon QRs the kiosk's coupon check accepts, settings forms that
need the session's CSRF token, and no personal data in any link or form address."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from edge_agent.downlinks import DownlinkApplier
from edge_agent.store import DeviceStore
from hub.db_types import utcnow
from hub.models.member_portal import ErasureRequest
from hub.models.members import Member
from hub.models.users import Role
from kiosk.services.clock import FrozenClock
from kiosk.services.members import MemberDirectory
from protocol.member_cache import MemberCacheDelta
from protocol.tokens import verify_coupon_token
from tests.member_portal.conftest import PAGE_CHALLENGE, mailed_code, page_sign_in, seed_diner
from tests.notify.conftest import SmtpServer

Auth = Callable[[Role], dict[str, str]]
TOKEN = re.compile(r'data-token="([^"]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def test_the_home_page_qr_identifies_the_member_at_a_kiosk(
        client: TestClient, smtp: SmtpServer, auth: Auth, tmp_path: Path) -> None:
    diner = seed_diner(client, "M3001", cents=2350, name="陈小红")
    assert client.get("/member/", follow_redirects=False).headers["location"] == \
        "/member/sign-in"
    page_sign_in(client, smtp, diner)
    home = client.get("/member/?lang=en")
    assert home.status_code == 200 and "陈小红" in home.text and "￥23.50" in home.text
    assert "My member code" in home.text and home.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in home.headers["content-security-policy"]
    token = TOKEN.search(home.text)
    assert token and token.group(1).startswith("CM1.")
    # The kiosk side: keys and the site's member cache as a kiosk receives them, then the
    # kiosk's own offline check of the scanned code.
    admin = auth(Role.ADMIN)
    keys = client.get("/api/v1/identity/sites/1/device-keys", headers=admin).json()
    delta = client.get("/api/v1/identity/sites/1/member-delta", headers=auth(Role.MANAGER))
    with DeviceStore(tmp_path / "kiosk.db", site_id="hq", device_id="kiosk-1") as store:
        DownlinkApplier(store.conn, site_id="hq").apply_member_delta(
            MemberCacheDelta.model_validate(delta.json()))
        directory = MemberDirectory(store, FrozenClock(utcnow()), token_keys=keys["keys"],
                                    site_key=keys["identifier_key"].encode())
        member = directory.by_member_code(token.group(1))
    assert member.member_id == "M3001" and member.display_name.startswith("陈")
    assert member.balance_cents == 2350
    # Coupons: each open one as a QR whose code the kiosk's coupon check verifies.
    coupons = client.get("/member/coupons")
    codes = TOKEN.findall(coupons.text)
    assert len(codes) == 1 and "<svg" in coupons.text
    claim = verify_coupon_token(codes[0], keys["keys"], utcnow())
    assert claim.member_id == "M3001" and claim.coupon_id == str(diner.coupon_id)
    for url, text in (("/member/ledger", "充值"), ("/member/orders", "红烧肉"),
                      ("/member/settings", "授权设置")):
        r = client.get(url + "?lang=zh_Hans")
        assert r.status_code == 200 and text in r.text, url


def test_forms_need_their_csrf_token_and_urls_carry_no_personal_data(
        client: TestClient, smtp: SmtpServer, db_session: Session) -> None:
    diner = seed_diner(client, "M3002", cents=100, name="周大福")
    client.get("/member/sign-in")
    r = client.post("/member/sign-in/code", data={"csrf": "forged",
                                                  "identifier": diner.member_no})
    assert r.status_code == 403 and smtp.mails == []
    page_sign_in(client, smtp, diner)
    # Every link and form address of every page: no member number, name, phone or e-mail.
    pages = ["/member/", "/member/ledger", "/member/orders", "/member/coupons",
             "/member/settings"]
    for url in pages:
        html = client.get(url).text
        for target in re.findall(r'(?:href|action)="([^"]*)"', html):
            for mark in (diner.member_no, "周大福", diner.email, "example.test"):
                assert mark not in target, (url, target)
    settings = client.get("/member/settings").text
    csrf = CSRF.search(settings)
    assert csrf
    refused = client.post("/member/settings/consents", data={"csrf": "forged"})
    assert refused.status_code == 403
    refused = client.post("/member/settings/erasure", data={})
    assert refused.status_code == 403
    db_session.expire_all()
    member = db_session.get(Member, diner.id)
    assert member is not None and member.consent_marketing_at is not None
    assert db_session.exec(select(ErasureRequest)).first() is None
    # With the token: marketing withdrawn (box unticked), erasure asked for.
    r = client.post("/member/settings/consents", data={"csrf": csrf.group(1)},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/member/settings/erasure", data={"csrf": csrf.group(1)})
    assert r.status_code == 200 and 'data-testid="erasure-state"' in r.text
    db_session.expire_all()
    member = db_session.get(Member, diner.id)
    assert member is not None and member.consent_marketing_at is None
    assert len(db_session.exec(select(ErasureRequest)).all()) == 1
    export = client.get("/member/export")
    assert export.json()["profile"]["member_no"] == "M3002"
    assert export.json()["orders"][0]["lines"][0]["name_en"] == "Rice"
    out = client.post("/member/sign-out", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/member/", follow_redirects=False).status_code == 303


def test_sign_in_refusals_are_shown_in_the_page_language(
        client: TestClient, smtp: SmtpServer) -> None:
    diner = seed_diner(client, "M3003", cents=100, name="吴")
    form = client.get("/member/sign-in?lang=en")
    csrf = CSRF.search(form.text)
    assert csrf
    sent = client.post("/member/sign-in/code",
                       data={"csrf": csrf.group(1), "identifier": diner.member_no})
    challenge = PAGE_CHALLENGE.search(sent.text)
    assert challenge
    r = client.post("/member/sign-in", data={"csrf": csrf.group(1),
                                             "challenge": challenge.group(1),
                                             "code": "99999x"})
    assert r.status_code == 422 and "6 digits" in r.text
    code = mailed_code(smtp, diner.email)
    wrong = "000000" if code != "000000" else "111111"
    r = client.post("/member/sign-in?lang=zh_Hans",
                    data={"csrf": csrf.group(1), "challenge": challenge.group(1),
                          "code": wrong})
    assert r.status_code == 403 and "验证码错误" in r.text
