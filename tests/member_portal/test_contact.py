"""A diner sets their own e-mail address and message language, on the settings page and
through the member API (SQLite and PostgreSQL): CSRF checked, a bad address refused in the
page's language with nothing saved, the address shown only masked, removal allowed, the
change audited; and the next notification reaches the new address, through a real SMTP
server (aiosmtpd), in the newly chosen language."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from hub.crypto import FieldCipher
from hub.models.audit import AuditLog
from hub.models.notify import NotifyContact
from hub.notify.channels import build_channels, email_of, mask
from hub.notify.config import NotifySettings
from hub.notify.producers import complaint_resolved
from hub.notify.service import dispatch
from tests.member_portal.conftest import Diner, SignIn, mailed_code, page_sign_in, seed_diner
from tests.notify.conftest import DAY, SmtpServer

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _stored(client: TestClient, diner: Diner) -> tuple[str | None, str]:
    """The address (decrypted) and language the hub holds for the diner."""
    app = client.app
    cipher = FieldCipher.from_settings(app.state.settings)  # type: ignore[attr-defined]
    with Session(app.state.engine) as s:  # type: ignore[attr-defined]
        row = s.get(NotifyContact, diner.id)
        assert row is not None
        return email_of(s, cipher, diner.id), row.language


def _notify_complaint_resolved(client: TestClient, diner: Diner, case_id: int) -> None:
    """The complaint-resolved producer, then one dispatch through the test's SMTP server."""
    app = client.app
    cipher = FieldCipher.from_settings(app.state.settings)  # type: ignore[attr-defined]
    engine = app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as s:
        assert complaint_resolved(s, member_id=diner.id, case_id=case_id, site_id=None,
                                  resolution="Refunded", now=DAY) == 1
        s.commit()
    config = NotifySettings()  # the smtp fixture's CANTEEN_NOTIFY_SMTP_* settings
    assert dispatch(engine, build_channels(config, cipher), config, now=DAY).counts["sent"] == 1


def test_the_settings_page_sets_the_address_and_language_and_the_next_mail_follows(
        client: TestClient, smtp: SmtpServer) -> None:
    diner = seed_diner(client, "M4001", cents=100, name="林小雨")
    page_sign_in(client, smtp, diner)
    page = client.get("/member/settings?lang=zh_Hans")
    assert page.status_code == 200 and mask(diner.email) in page.text
    assert diner.email not in page.text  # only ever shown masked
    csrf = CSRF.search(page.text)
    assert csrf
    # Without the session's CSRF token: refused, nothing changed.
    r = client.post("/member/settings/contact",
                    data={"csrf": "forged", "email": "new@example.test", "language": "en"})
    assert r.status_code == 403
    assert _stored(client, diner) == (diner.email, "zh")
    # A bad address: refused in the page's language, nothing saved (not even the language).
    r = client.post("/member/settings/contact", data={
        "csrf": csrf.group(1), "email": "not-an-address", "language": "en"})
    assert r.status_code == 422 and "不是电子邮件地址" in r.text
    r = client.post("/member/settings/contact?lang=en", data={
        "csrf": csrf.group(1), "email": "two@@example.test", "language": "en"})
    assert r.status_code == 422 and "That is not an e-mail address" in r.text
    assert _stored(client, diner) == (diner.email, "zh")
    # A good one: saved, and the page now speaks the chosen language.
    r = client.post("/member/settings/contact", follow_redirects=False, data={
        "csrf": csrf.group(1), "email": "lin.xiaoyu@example.test", "language": "en"})
    assert r.status_code == 303 and r.headers["location"] == "/member/settings?lang=en"
    page = client.get(r.headers["location"])
    assert f"Messages go to {mask('lin.xiaoyu@example.test')}." in page.text
    assert "lin.xiaoyu" not in page.text
    assert _stored(client, diner) == ("lin.xiaoyu@example.test", "en")
    # The next notification goes to the new address, in English.
    _notify_complaint_resolved(client, diner, case_id=41)
    mail = [m for m in smtp.mails if m["To"] == "lin.xiaoyu@example.test"]
    assert len(mail) == 1 and mail[0]["Subject"] == "Your feedback (case 41) has been resolved"
    assert mail[0]["Content-Language"] == "en" and "Dear 林小雨" in mail[0].get_content()
    # Only the language changed (address field left empty): the address is kept.
    r = client.post("/member/settings/contact", follow_redirects=False,
                    data={"csrf": csrf.group(1), "email": "", "language": "zh"})
    assert r.status_code == 303 and r.headers["location"] == "/member/settings?lang=zh_Hans"
    assert _stored(client, diner) == ("lin.xiaoyu@example.test", "zh")
    # Removing the address: allowed; the page says messages come by kiosk and SMS only.
    r = client.post("/member/settings/contact", data={
        "csrf": csrf.group(1), "remove_email": "on", "language": "zh"})
    assert r.status_code == 200 and "没有电子邮件地址" in r.text
    assert _stored(client, diner) == (None, "zh")


def test_the_member_api_sets_checks_and_clears_the_contact(
        client: TestClient, smtp: SmtpServer, sign_in: SignIn) -> None:
    diner = seed_diner(client, "M4002", cents=100, name="Alex Wu")
    me = sign_in(diner)
    r = client.get("/api/v1/me/contact", headers=me)
    assert r.status_code == 200
    assert r.json() == {"email_masked": mask(diner.email), "language": "zh"}
    # Refused whole: a bad address (with a valid language), a null language, an unknown one.
    for body in ({"email": "alex at example", "language": "en"}, {"language": None},
                 {"language": "fr"}, {"email": "a" * 250 + "@x.io"}):
        r = client.patch("/api/v1/me/contact", json=body, headers=me)
        assert r.status_code == 422, (body, r.text)
        assert _stored(client, diner) == (diner.email, "zh")
    r = client.patch("/api/v1/me/contact", json={"email": "alex.wu@example.test",
                                                 "language": "en"}, headers=me)
    assert r.status_code == 200, r.text
    assert r.json() == {"email_masked": mask("alex.wu@example.test"), "language": "en"}
    assert _stored(client, diner) == ("alex.wu@example.test", "en")
    # The change is audited under the member, the address only masked.
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        audit = s.exec(select(AuditLog).where(AuditLog.entity == "notify_contact")
                       .order_by(col(AuditLog.id))).all()
    assert [a.actor for a in audit] == [f"member-web:{diner.id}"]
    assert audit[0].after == {"email_masked": mask("alex.wu@example.test"), "language": "en"}
    assert "alex.wu" not in str(audit[0].before) + str(audit[0].after)
    # A member's sign-in code now goes to the new address too (the same SMTP sender).
    r = client.post("/api/v1/me/sign-in/code", json={"identifier": diner.member_no})
    assert r.status_code == 202
    assert mailed_code(smtp, "alex.wu@example.test")
    _notify_complaint_resolved(client, diner, case_id=42)
    assert [m["Subject"] for m in smtp.mails if m["To"] == "alex.wu@example.test"][-1] == \
        "Your feedback (case 42) has been resolved"
    # Cleared with null (or ""): the member has no address any more.
    r = client.patch("/api/v1/me/contact", json={"email": None}, headers=me)
    assert r.status_code == 200 and r.json() == {"email_masked": None, "language": "en"}
    assert _stored(client, diner) == (None, "en")
    # Staff tokens have no member: the route is the member's only.
    assert client.get("/api/v1/me/contact").status_code == 401
