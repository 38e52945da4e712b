"""Notification test fixtures: a migrated hub database (SQLite, or PostgreSQL where a test
asks for both), a field cipher, members with and without an e-mail address, and a real
local SMTP server (aiosmtpd) that a test can stop and start again on the same port."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.crypto import FieldCipher
from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.models.members import Member
from hub.notify.channels import build_channels
from hub.notify.config import NotifySettings
from hub.notify.service import dispatch, enqueue, set_contact
from hub.settings import Settings
from tests.conftest import PG_URL
from tests.support.crm_cases import fresh_engine, migrated_template

CONSENTED = datetime(2025, 1, 1, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    """aiosmtpd handler: keeps every mail it accepts."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(mail, EmailMessage)
        with self.lock:
            self.mails.append(mail)
        return "250 OK"


class SmtpServer:
    """A real SMTP server on 127.0.0.1:port; ``stop`` and ``start`` again to simulate an
    outage (the mails received survive a restart)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = _Inbox()
        self._controller: Controller | None = None

    @property
    def mails(self) -> list[EmailMessage]:
        return self.inbox.mails

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()  # returns once the server answers

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(encryption_key=Fernet.generate_key().decode(),
                       hash_key="notify-test-lookup-hash-key-0123456789")


@pytest.fixture
def config(smtp: SmtpServer) -> NotifySettings:
    return NotifySettings(smtp_host="127.0.0.1", smtp_port=smtp.port,
                          smtp_sender="canteen@example.test", smtp_timeout_s=5)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("notify-db"))


@pytest.fixture
def engine(template: Path, tmp_path: Path) -> Iterator[Engine]:
    eng = fresh_engine(template, tmp_path)
    yield eng
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest, template: Path,
               tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        eng = make_engine(Settings(_env_file=None, database_url=PG_URL, db_schema=schema,
                                   demo_mode=True, data_dir=tmp_path))
        upgrade_to_head(eng, schema=schema)
    else:
        eng = fresh_engine(template, tmp_path)
    yield eng
    eng.dispose()


def add_member(engine: Engine, cipher: FieldCipher, no: str, *, language: str = "zh",
               email_address: str | None = None, marketing: bool = True,
               phone: str | None = None) -> int:
    """A member (marketing consent unless told not), with a contact when given an address."""
    with Session(engine) as s:
        m = Member(member_no=no, name=f"成员{no}" if language == "zh" else f"Member {no}",
                   consent_marketing_at=CONSENTED if marketing else None,
                   phone_encrypted=cipher.encrypt(phone) if phone else None)
        s.add(m)
        s.flush()
        assert m.id is not None
        set_contact(s, cipher, member_id=m.id, email=email_address, language=language)
        s.commit()
        return m.id


DAY = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday morning


def queue(engine: Engine, member_id: int, kind: str = "birthday", key: str = "2026",
          channels: list[str] | None = None, cipher: FieldCipher | None = None,
          now: datetime = DAY, **params: str) -> int:
    """Queue ``kind`` (by default birthday care by e-mail) for the member; rows queued."""
    with Session(engine) as s:
        name = s.get(Member, member_id)
        assert name is not None
        n = enqueue(s, member_id=member_id, kind=kind, key=key,
                    params=params or {"name": name.name}, channels=channels or ["email"],
                    cipher=cipher, now=now)
        s.commit()
        return n


def fill_outbox(engine: Engine, now: datetime) -> None:
    """Sent, suppressed (no consent), retried (no SMTP server) and queued notifications."""
    cipher = FieldCipher(encryption_key=Fernet.generate_key().decode(),
                         hash_key="notify-page-hash-key-0123456789abcdef")
    a = add_member(engine, cipher, "P1", language="zh", email_address="p1@example.test")
    b = add_member(engine, cipher, "P2", language="en", marketing=False)
    c = add_member(engine, cipher, "P3", language="en", email_address="p3@example.test")
    queue(engine, a, channels=["kiosk"], now=now)
    queue(engine, b, kind="winback", key="2026-12", channels=["kiosk"], now=now)
    queue(engine, c, kind="low_balance", key="d", name="Pat", balance="4.20", now=now)
    config = NotifySettings(smtp_host="127.0.0.1", smtp_port=1)  # nothing listens: retry
    dispatch(engine, build_channels(config, cipher), config, now=now)
    queue(engine, a, kind="booking_reminder", key="b9", channels=["kiosk"],
          now=now + timedelta(days=3), name="P1", day="2026-12-10", meal="午餐", site="一食堂")
