"""Member web page fixtures: the hub API (SQLite and PostgreSQL), a real local SMTP server
(aiosmtpd) the hub mails codes through, and two members with money, orders and coupons."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.stored_value import top_up
from hub.crypto import FieldCipher
from hub.models.coupons import Coupon, CouponTemplate
from hub.models.members import Member
from hub.models.orders import Order, OrderLine, Payment
from hub.models.sites import Site
from hub.notify.service import set_contact
from rules.order import CouponKind
from tests.hub.conftest import (  # noqa: F401  (hub API fixtures, reused here)
    auth,
    client,
    db_session,
    hub_app,
    hub_settings,
    sqlite_settings,
    token_for,
)
from tests.notify.conftest import SmtpServer
from tests.support.waiting import wait_for


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A real SMTP server; the hub is pointed at it through its CANTEEN_NOTIFY_* settings."""
    server = SmtpServer()
    server.start()
    monkeypatch.setenv("CANTEEN_NOTIFY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CANTEEN_NOTIFY_SMTP_PORT", str(server.port))
    monkeypatch.setenv("CANTEEN_NOTIFY_SMTP_SENDER", "canteen@example.test")
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Diner:
    """A seeded member: ids, how they sign in, and the rows that are theirs."""

    id: int
    member_no: str
    email: str
    order_id: str
    coupon_id: int


def seed_diner(api: TestClient, no: str, *, cents: int, name: str) -> Diner:
    """A member with an e-mail address, a top-up, one order with a receipt, one coupon."""
    return seed_diner_in(api.app, no, cents=cents, name=name)  # type: ignore[arg-type]


def seed_diner_in(app: FastAPI, no: str, *, cents: int, name: str) -> Diner:
    """seed_diner on the database of ``app``."""
    cipher = FieldCipher.from_settings(app.state.settings)
    now = datetime.now(UTC)
    with Session(app.state.engine) as s:
        site = s.get(Site, 1)
        if site is None:
            site = Site(code="hq", name_zh="总部食堂", name_en="HQ canteen")
            s.add(site)
            s.flush()
        template = s.get(CouponTemplate, 1)
        if template is None:
            template = CouponTemplate(code="five", name_zh="立减5元", name_en="5 yuan off",
                                      kind=CouponKind.AMOUNT_OFF, amount_cents=500)
            s.add(template)
            s.flush()
        member = Member(member_no=no, name=name, consent_data_at=now,
                        consent_marketing_at=now)
        s.add(member)
        s.flush()
        assert member.id is not None and site.id is not None and template.id is not None
        email = f"{no}@example.test"
        set_contact(s, cipher, member_id=member.id, email=email, language="zh")
        order_id = str(uuid.uuid4())
        s.add(Order(id=order_id, order_no=f"A{no[-3:]}", site_id=site.id, member_id=member.id,
                    placed_at=now - timedelta(hours=2), subtotal_cents=1800,
                    discount_cents=200, total_cents=1600, paid=True))
        s.flush()
        s.add(OrderLine(order_id=order_id, line_no=1, dish_code="rice", name_zh="米饭",
                        name_en="Rice", qty=1, unit_price_cents=200, line_total_cents=200))
        s.add(OrderLine(order_id=order_id, line_no=2, dish_code="pork", name_zh="红烧肉",
                        name_en="Braised pork", qty=1, unit_price_cents=1600,
                        line_total_cents=1600))
        s.add(Payment(order_id=order_id, method="stored_value", amount_cents=1600))
        coupon = Coupon(template_id=template.id, member_id=member.id, source="manual",
                        valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=30),
                        issued_by="test")
        s.add(coupon)
        s.commit()
        assert coupon.id is not None
        top_up(s, member_id=member.id, amount_cents=cents, method="cash", actor="test", at=now)
        return Diner(member.id, no, email, order_id, coupon.id)


CODE_RE = re.compile(r"\b(\d{6})\b")


def mailed_code(smtp: SmtpServer, to: str, count: int = 1) -> str:
    """The code in the ``count``-th mail to ``to`` (waits for it to arrive)."""
    wait_for(lambda: len([m for m in smtp.mails if m["To"] == to]) >= count, 10,
             f"mail {count} to {to}")
    mail = [m for m in smtp.mails if m["To"] == to][count - 1]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    match = CODE_RE.search(body.get_content())
    assert match, body.get_content()
    return match.group(1)


SignIn = Callable[[Diner], dict[str, str]]


@pytest.fixture
def sign_in(client: TestClient, smtp: SmtpServer) -> SignIn:  # noqa: F811
    """Sign a diner in through the API with the code the SMTP server received; returns
    the bearer header of the new session."""
    counts: dict[str, int] = {}

    def _sign_in(diner: Diner) -> dict[str, str]:
        r = client.post("/api/v1/me/sign-in/code", json={"identifier": diner.member_no})
        assert r.status_code == 202, r.text
        counts[diner.email] = counts.get(diner.email, 0) + 1
        code = mailed_code(smtp, diner.email, counts[diner.email])
        r = client.post("/api/v1/me/sign-in",
                        json={"challenge": r.json()["challenge"], "code": code})
        assert r.status_code == 200, r.text
        client.cookies.clear()  # the bearer token only: tests choose the credential
        return {"Authorization": f"Bearer {r.json()['token']}"}

    return _sign_in


PAGE_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PAGE_CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')


def page_sign_in(web: TestClient, smtp: SmtpServer, diner: Diner, count: int = 1) -> None:
    """Sign in through the forms, as a phone's browser does (``web``: the hub's client)."""
    form = web.get("/member/sign-in")
    assert form.status_code == 200 and "canteen_member_csrf" in form.headers["set-cookie"]
    csrf = PAGE_CSRF.search(form.text)
    assert csrf
    sent = web.post("/member/sign-in/code",
                    data={"csrf": csrf.group(1), "identifier": diner.member_no})
    assert sent.status_code == 200, sent.text
    challenge = PAGE_CHALLENGE.search(sent.text)
    assert challenge
    done = web.post("/member/sign-in", follow_redirects=False,
                    data={"csrf": csrf.group(1), "challenge": challenge.group(1),
                          "code": mailed_code(smtp, diner.email, count)})
    assert done.status_code == 303 and done.headers["location"] == "/member/"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
