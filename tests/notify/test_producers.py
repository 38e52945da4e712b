"""Who queues notifications, on a migrated SQLite hub and frozen time: birthday care from
the CRM's birthday tag, win-back from the CRM's churn scores, booking reminders the day
before, complaint resolved from resolve_case, low balance from a ledger debit; each once
(its dedupe key), and the CLI runs the whole job."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.accounts.stored_value import adjust, top_up
from hub.crm.cases import list_cases, resolve_case
from hub.crm.tags import refresh_all
from hub.crypto import FieldCipher
from hub.models.accounts import AccountKind
from hub.models.crm import MemberScore
from hub.models.members import Member
from hub.models.notify import Outbox
from hub.models.supply_bookings import BookingCreate, BookingKind, BookingRuleIn
from hub.notify.channels import build_channels
from hub.notify.config import NotifySettings
from hub.notify.producers import enqueue_daily
from hub.notify.service import dispatch
from hub.supply import bookings
from tests.notify.conftest import SmtpServer, add_member
from tests.support.crm_cases import RICE, envelope, placed, seed_world, write_ok
from tests.support.supply_demand import make_site

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)


def _outbox(engine: Engine) -> list[tuple[str, int, str, str]]:
    with Session(engine) as s:
        return [(o.kind, o.member_id, o.channel, o.dedupe_key) for o in
                s.exec(select(Outbox).order_by(col(Outbox.id))).all()]


def test_daily_producers_birthday_winback_booking_each_once(
        engine: Engine, cipher: FieldCipher, config: NotifySettings) -> None:
    born = add_member(engine, cipher, "B1", email_address="b1@example.test")
    later = add_member(engine, cipher, "B2")
    risky = add_member(engine, cipher, "R1", language="en", phone="13900139000")
    booker = add_member(engine, cipher, "K1", email_address="k1@example.test")
    with Session(engine) as s:
        for mid, day in ((born, date(1990, 12, 7)), (later, date(1991, 12, 20))):
            m = s.get(Member, mid)
            assert m is not None
            m.birthday = day
            s.add(m)
        s.add(MemberScore(member_id=risky, recency_days=40, frequency=3, monetary_cents=5000,
                          r=1, f=2, m=2, churn_probability=0.8, method="rfm", scored_at=NOW))
        site, (_breakfast, lunch) = make_site(s, periods=2)
        s.commit()
        refresh_all(s, at=NOW)  # the CRM's tags: birthday_month for B1 and B2
        bookings.set_rule(s, site_id=site, meal_period_id=lunch,
                          data=BookingRuleIn(cutoff=time(10, 0), meal_price_cents=0),
                          actor="test", at=NOW)
        s.commit()
        bookings.create_booking(s, data=BookingCreate(
            member_id=booker, site_id=site, meal_period_id=lunch,
            day=NOW.date() + timedelta(days=1), kind=BookingKind.MEAL), now=NOW, actor="test")
        s.commit()
        done = enqueue_daily(s, now=NOW, config=config, cipher=cipher)
    assert done == {"birthday": 2, "winback": 1, "booking_reminder": 1}
    rows = _outbox(engine)
    assert ("birthday", born, "email", f"birthday:{born}:2026:email") in rows
    assert ("birthday", born, "kiosk", f"birthday:{born}:2026:kiosk") in rows
    assert ("winback", risky, "kiosk", f"winback:{risky}:2026-12:kiosk") in rows
    assert {(k, m, c) for k, m, c, _ in rows if k == "booking_reminder"} == {
        ("booking_reminder", booker, "email")}
    assert all(m != later for _, m, _, _ in rows)  # birthday later this month: not today
    with Session(engine) as s:
        assert enqueue_daily(s, now=NOW + timedelta(hours=1), config=config,
                             cipher=cipher) == {"birthday": 0, "winback": 0,
                                                "booking_reminder": 0}
        reminder = s.exec(select(Outbox).where(Outbox.kind == "booking_reminder")).one()
        assert "午餐" in reminder.body or "Lunch" in reminder.body


def test_resolving_a_complaint_tells_the_member_by_mail(
        engine: Engine, smtp: SmtpServer, cipher: FieldCipher, config: NotifySettings) -> None:
    world = seed_world(engine, members=2, consent_every=2)  # M002 without marketing consent
    at = datetime.now(UTC) - timedelta(hours=2)
    order, placed_msg = placed("A1", "M002", at, [RICE])
    write_ok(world, [placed_msg])
    write_ok(world, [envelope("feedback.given", {"order_id": order, "rating": 1,
                                                 "comment": "cold"}, sent_at=at)])
    member = world.members["M002"]
    with Session(engine) as s:
        from hub.notify.service import set_contact

        set_contact(s, cipher, member_id=member, email="m2@example.test", language="en")
        s.commit()
        rows, _ = list_cases(s, limit=5, offset=0)
        resolve_case(s, case_id=rows[0].id, resolution="Reheated and apologised",
                     actor="mei")
    assert [(k, c) for k, _, c, _ in _outbox(engine)] == [("complaint_resolved", "email")]
    # Sent at the next 10:00 at the site: outside quiet hours whenever the suite runs.
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    ten = local.replace(hour=10, minute=0, second=0, microsecond=0)
    daytime = ten if ten > local else ten + timedelta(days=1)
    dispatch(engine, build_channels(config, cipher), config, now=daytime.astimezone(UTC))
    (mail,) = smtp.mails
    assert mail["To"] == "m2@example.test"
    assert mail["Subject"] == f"Your feedback (case {rows[0].id}) has been resolved"
    assert "Reheated and apologised" in mail.get_content()


def test_a_debit_below_the_threshold_queues_one_low_balance_notice_a_day(
        engine: Engine, cipher: FieldCipher) -> None:
    member = add_member(engine, cipher, "L1")
    at = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
    with Session(engine) as s:
        top_up(s, member_id=member, amount_cents=1_500, method="cash", actor="t", at=at)
        adjust(s, member_id=member, account_kind=AccountKind.PAID, amount=-400, reason="x",
               actor="t", at=at)  # 11.00: still above ¥10
        s.commit()
        assert _outbox(engine) == []
        adjust(s, member_id=member, account_kind=AccountKind.PAID, amount=-300, reason="x",
               actor="t", at=at)  # 8.00: below
        s.commit()
        adjust(s, member_id=member, account_kind=AccountKind.PAID, amount=-100, reason="x",
               actor="t", at=at)  # already below: nothing new
        s.commit()
        (row,) = s.exec(select(Outbox)).all()
    assert (row.kind, row.channel, row.marketing) == ("low_balance", "kiosk", False)
    assert row.body == "余额只剩 ¥8.00，请及时充值。"


def test_cli_contact_and_run(engine: Engine, tmp_path: Path, smtp: SmtpServer,
                             monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography.fernet import Fernet

    from hub.cli import main

    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("CANTEEN_DATABASE_URL", url)
    monkeypatch.setenv("CANTEEN_DEMO_MODE", "true")
    monkeypatch.setenv("CANTEEN_FIELD_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("CANTEEN_NOTIFY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CANTEEN_NOTIFY_SMTP_PORT", str(smtp.port))
    monkeypatch.chdir(tmp_path)
    with Session(engine) as s:
        s.add(Member(member_no="C1", name="Chen", birthday=date(1990, 12, 7),
                     consent_marketing_at=NOW))
        s.commit()
        refresh_all(s, at=NOW)
    assert main(["notify", "contact", "C1", "--email", "c1@example.test",
                 "--language", "en"]) == 0
    assert main(["notify", "contact", "NOPE", "--language", "en"]) == 3
    assert main(["notify", "contact", "C1", "--email", "not-an-address",
                 "--language", "en"]) == 3
    assert main(["jobs", "notify", "--at", NOW.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "queued: birthday 2, winback 0, booking_reminder 0" in out
    assert "dispatched: sent 2" in out
    assert [m["Subject"] for m in smtp.mails] == ["Happy birthday, Chen!"]
