"""The outbox delivered through a real local SMTP server (aiosmtpd) on frozen time: the
member's language picks the template; consent is checked when sending; quiet hours defer;
the frequency cap suppresses; a server outage is retried with backoff (and gives up after
the maximum); the dedupe key stops double sends, also with two dispatchers racing; a bad
kind or template call is refused with nothing written."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from hub.crm.campaign_channels import pending_messages
from hub.crypto import FieldCipher
from hub.errors import InvalidInputError, NotFoundError
from hub.models.crm_campaigns import MemberMessage
from hub.models.members import Member
from hub.models.notify import Delivery, Outbox
from hub.notify.channels import LoggingSms, build_channels
from hub.notify.config import NotifySettings
from hub.notify.service import dispatch, enqueue
from hub.notify.templates import TemplateError, render
from tests.notify.conftest import DAY, SmtpServer, add_member, queue

SHANGHAI = ZoneInfo("Asia/Shanghai")




def _rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))).all())


def _log(engine: Engine) -> list[tuple[str, int, str]]:
    with Session(engine) as s:
        return [(d.outcome, d.attempt, d.detail)
                for d in s.exec(select(Delivery).order_by(col(Delivery.id))).all()]


def test_each_member_gets_the_mail_in_their_language(
        any_engine: Engine, smtp: SmtpServer, cipher: FieldCipher,
        config: NotifySettings) -> None:
    zh = add_member(any_engine, cipher, "Z1", language="zh", email_address="zh@example.test")
    en = add_member(any_engine, cipher, "E1", language="en", email_address="en@example.test")
    queue(any_engine, zh)
    queue(any_engine, en)
    report = dispatch(any_engine, build_channels(config, cipher), config, now=DAY)
    assert report.counts["sent"] == 2
    by_to = {m["To"]: m for m in smtp.mails}
    assert set(by_to) == {"zh@example.test", "en@example.test"}
    assert by_to["zh@example.test"]["Subject"] == "生日快乐，成员Z1！"
    assert "祝您生日快乐" in by_to["zh@example.test"].get_content()
    assert by_to["en@example.test"]["Subject"] == "Happy birthday, Member E1!"
    assert "Happy birthday!" in by_to["en@example.test"].get_content()
    assert all(m["From"] == "canteen@example.test" for m in smtp.mails)
    assert [r.state for r in _rows(any_engine)] == ["sent", "sent"]
    assert [o for o, _, _ in _log(any_engine)] == ["sent", "sent"]


def test_consent_withdrawn_after_queuing_suppresses_the_marketing_mail(
        engine: Engine, smtp: SmtpServer, cipher: FieldCipher, config: NotifySettings) -> None:
    member = add_member(engine, cipher, "W1", email_address="w1@example.test")
    queue(engine, member)  # birthday care: marketing
    queue(engine, member, kind="low_balance", key="d1", name="W1", balance="3.50")  # service
    with Session(engine) as s:
        m = s.get(Member, member)
        assert m is not None
        m.consent_marketing_at = None  # withdrawn between enqueue and send
        s.add(m)
        s.commit()
    dispatch(engine, build_channels(config, cipher), config, now=DAY)
    birthday, low = _rows(engine)
    assert (birthday.state, birthday.reason) == ("suppressed",
                                                  "no marketing consent at send time")
    assert birthday.attempts == 0 and birthday.sent_at is None
    assert low.state == "sent"  # a service message needs no marketing consent
    assert [m["Subject"] for m in smtp.mails] == ["余额不足提醒"]


def test_quiet_hours_defer_the_mail_until_morning_then_it_goes(
        engine: Engine, smtp: SmtpServer, cipher: FieldCipher, config: NotifySettings) -> None:
    member = add_member(engine, cipher, "Q1", email_address="q1@example.test")
    late = datetime(2026, 12, 7, 22, 30, tzinfo=SHANGHAI)
    queue(engine, member, now=late)
    report = dispatch(engine, build_channels(config, cipher), config, now=late)
    assert report.counts["deferred"] == 1 and smtp.mails == []
    (row,) = _rows(engine)
    morning = datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI)
    assert row.state == "queued" and row.attempts == 0 and row.next_attempt_at == morning
    # Still night at 07:59: nothing is due; at 08:00 it is sent.
    assert not dispatch(engine, build_channels(config, cipher), config,
                        now=morning - timedelta(minutes=1)).counts
    assert dispatch(engine, build_channels(config, cipher), config,
                    now=morning).counts["sent"] == 1
    assert len(smtp.mails) == 1
    assert [o for o, _, _ in _log(engine)] == ["deferred", "sent"]


def test_the_frequency_cap_suppresses_with_its_reason(
        engine: Engine, smtp: SmtpServer, cipher: FieldCipher) -> None:
    config = NotifySettings(smtp_host="127.0.0.1", smtp_port=smtp.port, marketing_cap=1,
                            cap_days=7)
    member = add_member(engine, cipher, "C1", email_address="c1@example.test")
    queue(engine, member, kind="birthday", key="2026")
    dispatch(engine, build_channels(config, cipher), config, now=DAY)
    queue(engine, member, kind="winback", key="2026-12", now=DAY + timedelta(days=2))
    dispatch(engine, build_channels(config, cipher), config, now=DAY + timedelta(days=2))
    first, second = _rows(engine)
    assert first.state == "sent"
    assert second.state == "suppressed"
    assert second.reason == "frequency cap: 1 marketing messages on email in 7 days (cap 1)"
    # A week later the cap has room again.
    queue(engine, member, kind="winback", key="2027-01", now=DAY + timedelta(days=8))
    dispatch(engine, build_channels(config, cipher), config, now=DAY + timedelta(days=8))
    assert _rows(engine)[-1].state == "sent"
    assert len(smtp.mails) == 2


def test_server_down_is_retried_with_backoff_and_sent_when_back(
        engine: Engine, smtp: SmtpServer, cipher: FieldCipher, config: NotifySettings) -> None:
    member = add_member(engine, cipher, "R1", email_address="r1@example.test")
    queue(engine, member, kind="complaint_resolved", key="7", name="R1", case_id="7",
           resolution="换了供应商")
    channels = build_channels(config, cipher)
    smtp.stop()
    assert dispatch(engine, channels, config, now=DAY).counts["retry"] == 1
    (row,) = _rows(engine)
    assert row.attempts == 1 and row.next_attempt_at == DAY + timedelta(seconds=60)
    assert not dispatch(engine, channels, config, now=DAY + timedelta(seconds=59)).counts
    assert dispatch(engine, channels, config,
                    now=DAY + timedelta(seconds=60)).counts["retry"] == 1
    (row,) = _rows(engine)
    assert row.attempts == 2 and row.next_attempt_at == DAY + timedelta(seconds=180)  # 60+120
    smtp.start()
    assert dispatch(engine, channels, config,
                    now=DAY + timedelta(seconds=180)).counts["sent"] == 1
    (row,) = _rows(engine)
    assert (row.state, row.attempts) == ("sent", 3)
    assert [m["To"] for m in smtp.mails] == ["r1@example.test"]
    log = _log(engine)
    assert [(o, a) for o, a, _ in log] == [("retry", 1), ("retry", 2), ("sent", 3)]
    assert "ConnectionRefusedError" in log[0][2]


def test_gives_up_after_the_maximum_attempts(
        engine: Engine, smtp: SmtpServer, cipher: FieldCipher) -> None:
    config = NotifySettings(smtp_host="127.0.0.1", smtp_port=smtp.port, max_attempts=2,
                            retry_base_s=30)
    member = add_member(engine, cipher, "F1", email_address="f1@example.test")
    queue(engine, member)
    smtp.stop()
    channels = build_channels(config, cipher)
    dispatch(engine, channels, config, now=DAY)
    dispatch(engine, channels, config, now=DAY + timedelta(seconds=30))
    (row,) = _rows(engine)
    assert (row.state, row.attempts) == ("failed", 2)
    assert row.reason is not None and row.reason.startswith("gave up after 2 attempts")
    assert [o for o, _, _ in _log(engine)] == ["retry", "failed"]
    smtp.start()
    assert not dispatch(engine, channels, config, now=DAY + timedelta(hours=1)).counts
    assert smtp.mails == []


def test_dedupe_key_stops_double_queuing_and_double_sending(
        any_engine: Engine, smtp: SmtpServer, cipher: FieldCipher,
        config: NotifySettings) -> None:
    members = [add_member(any_engine, cipher, f"D{i}", email_address=f"d{i}@example.test")
               for i in range(8)]
    for m in members:
        assert queue(any_engine, m) == 1
        assert queue(any_engine, m) == 0  # the same notification again: nothing new
    channels = build_channels(config, cipher)
    # Two dispatchers at once, then a third run: every mail exactly once.
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            dispatch(any_engine, channels, config, now=DAY)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert not dispatch(any_engine, channels, config, now=DAY + timedelta(hours=1)).counts
    assert sorted(m["To"] for m in smtp.mails) == sorted(f"d{i}@example.test" for i in range(8))
    with Session(any_engine) as s:
        assert s.exec(select(func.count()).select_from(Delivery)).one() == 8


def test_bad_kind_or_parameters_are_refused_and_nothing_is_written(
        engine: Engine, cipher: FieldCipher) -> None:
    member = add_member(engine, cipher, "B1", email_address="b1@example.test")
    with Session(engine) as s:
        with pytest.raises(TemplateError, match="unknown notification kind 'birthdy'"):
            enqueue(s, member_id=member, kind="birthdy", params={"name": "x"}, key="k")
        with pytest.raises(TemplateError, match="missing parameter"):
            enqueue(s, member_id=member, kind="low_balance", params={"name": "x"}, key="k",
                    channels=["kiosk", "email"])
        with pytest.raises(TemplateError, match="unknown parameter"):
            enqueue(s, member_id=member, kind="birthday", params={"name": "x", "age": 3},
                    key="k")
        with pytest.raises(InvalidInputError, match="unknown channel"):
            enqueue(s, member_id=member, kind="birthday", params={"name": "x"}, key="k",
                    channels=["pigeon"])
        with pytest.raises(InvalidInputError, match="dedupe key"):
            enqueue(s, member_id=member, kind="birthday", params={"name": "x"}, key=" ")
        with pytest.raises(NotFoundError):
            enqueue(s, member_id=99_999, kind="birthday", params={"name": "x"}, key="k")
        s.commit()
    assert _rows(engine) == []
    with pytest.raises(TemplateError, match="unknown language 'fr'"):
        render("birthday", "fr", {"name": "x"})


def test_kiosk_greeting_and_sms_channels(
        engine: Engine, cipher: FieldCipher, config: NotifySettings) -> None:
    member = add_member(engine, cipher, "K1", language="en", phone="13800138000")
    with Session(engine) as s:
        # Default channels: no e-mail address, so the kiosk greeting only (and no SMS for
        # birthday care); a booking reminder goes by SMS.
        assert enqueue(s, member_id=member, kind="birthday", params={"name": "Kai"},
                       key="2026", cipher=cipher, now=DAY) == 1
        assert enqueue(s, member_id=member, kind="booking_reminder", key="b1", now=DAY,
                       cipher=cipher, params={"name": "Kai", "day": "2026-12-08",
                                              "meal": "Lunch", "site": "Canteen 1"}) == 1
        s.commit()
    sms = LoggingSms()
    report = dispatch(engine, build_channels(config, cipher, sms=sms), config, now=DAY)
    assert report.counts["sent"] == 2
    assert sms.messages[0] == ("13800138000", "Reminder: you booked Lunch on 2026-12-08.")
    with Session(engine) as s:
        (msg,) = s.exec(select(MemberMessage)).all()
        assert (msg.kind, msg.text_zh, msg.text_en) == (
            "notice", "生日快乐，Kai！本周来用餐有小礼物。",
            "Happy birthday, Kai! A small gift awaits you this week.")
        held = pending_messages(s, now=DAY + timedelta(minutes=1), member_ids=[member])
        assert held[member][0].text_en.startswith("Happy birthday, Kai")
