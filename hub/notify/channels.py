"""How a notification reaches a member: one interface, a class per channel.

- ``email``: a mail through any SMTP server (hub.mail, the hub's one SMTP sender, also
  used for sign-in codes), to the address in the member's ``notify_contact`` (stored
  encrypted like the phone).
- ``sms``: through an ``SmsGateway``; the demo's gateway writes the message to the log
  with the phone masked. A real gateway is a class with ``send(phone, text)``.
- ``kiosk``: a greeting the kiosk shows when the member identifies: a member message
  (``crm_member_message``, kind ``notice``) that the member-cache downlink already carries
  to the kiosks, the same path as campaign greetings and complaint follow-ups.

``send`` returns a short detail for the delivery log. It raises ``RetryableError`` for a
failure worth trying again (server down, timeout, a 4xx answer), ``PermanentError`` for
one that will not change by retrying (address refused), and ``Unreachable`` when the
member cannot be reached on this channel at all (no address): suppressed, not failed.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Protocol

from sqlmodel import Session

from hub.crypto import FieldCipher, FieldCipherError
from hub.mail import MailError, SmtpSender
from hub.models.crm_campaigns import MemberMessage
from hub.models.members import Member
from hub.models.notify import NotifyContact, Outbox
from hub.notify.config import NotifySettings
from hub.notify.templates import render

log = logging.getLogger(__name__)

KIOSK_GREETING_DAYS = 7
CHANNEL_CODES = ("email", "sms", "kiosk")


class RetryableError(Exception):
    """The channel failed this time; a later attempt may succeed."""


class PermanentError(Exception):
    """The channel refused the message for good (a retry would fail the same way)."""


class Unreachable(Exception):
    """The member has no address on this channel."""


class Channel(Protocol):
    """A way to reach a member."""

    code: str

    def send(self, session: Session, item: Outbox, member: Member, now: datetime) -> str:
        """Deliver ``item`` to ``member``; a detail for the log, or one of the errors."""
        ...


def email_of(session: Session, cipher: FieldCipher, member_id: int) -> str | None:
    """The member's e-mail address in clear, or None."""
    contact = session.get(NotifyContact, member_id)
    if contact is None or not contact.email_encrypted:
        return None
    try:
        return cipher.decrypt(contact.email_encrypted)
    except FieldCipherError:
        log.warning("member %s: e-mail address cannot be decrypted", member_id)
        return None


def mask(address: str) -> str:
    """An address or phone for logs: the first two and last two characters only."""
    return address[:2] + "*" * max(len(address) - 4, 1) + address[-2:]


class EmailChannel:
    """A plain-text UTF-8 mail through the hub's SMTP server (hub.mail, the one sender)."""

    code = "email"

    def __init__(self, config: NotifySettings, cipher: FieldCipher) -> None:
        self.config = config
        self.cipher = cipher

    def send(self, session: Session, item: Outbox, member: Member, now: datetime) -> str:
        """Send one mail to the member's address; the server's refusals classified."""
        assert member.id is not None
        to = email_of(session, self.cipher, member.id)
        if not to:
            raise Unreachable("no e-mail address")
        server = SmtpSender.from_settings(self.config)
        if server is None:
            raise Unreachable("e-mail is not configured (CANTEEN_NOTIFY_SMTP_HOST)")
        try:
            server.send(to=to, subject=item.subject, body=item.body, language=item.language,
                        message_id=make_msgid(idstring=f"notify-{item.id}"))
        except MailError as err:
            raise (PermanentError if err.permanent else RetryableError)(err.detail) from err
        return f"mail to {mask(to)} via {server.where}"


class SmsGateway(Protocol):
    """Something that sends a text message to a phone number."""

    def send(self, phone: str, text: str) -> str:
        """Send; a reference for the log, or RetryableError / PermanentError."""
        ...


class LoggingSms:
    """The demo's SMS gateway: logs that a message went (phone masked, no text: the text
    names the member) and keeps the newest 100 in memory for the demo and the tests."""

    def __init__(self) -> None:
        self.sent = 0
        self.messages: deque[tuple[str, str]] = deque(maxlen=100)

    def send(self, phone: str, text: str) -> str:
        """Log and keep; nothing leaves the hub."""
        self.sent += 1
        self.messages.append((phone, text))
        log.info("SMS #%d to %s (%d characters)", self.sent, mask(phone), len(text))
        return f"logged #{self.sent}"


class SmsChannel:
    """The short text to the member's phone (stored encrypted on the member)."""

    code = "sms"

    def __init__(self, gateway: SmsGateway | None, cipher: FieldCipher) -> None:
        self.gateway = gateway
        self.cipher = cipher

    def send(self, session: Session, item: Outbox, member: Member, now: datetime) -> str:
        """Decrypt the phone and hand the text to the gateway."""
        if self.gateway is None:
            raise Unreachable("SMS is switched off (CANTEEN_NOTIFY_SMS_GATEWAY=off)")
        if not member.phone_encrypted:
            raise Unreachable("no phone number")
        try:
            phone = self.cipher.decrypt(member.phone_encrypted)
        except FieldCipherError as err:
            raise PermanentError("the phone number cannot be decrypted") from err
        ref = self.gateway.send(phone, item.body)
        return f"SMS to {mask(phone)}: {ref}"


class KioskGreetingChannel:
    """A greeting on the kiosk's menu screen when the member next identifies (both
    languages: the kiosk shows the one it is in), valid for a week."""

    code = "kiosk"

    def send(self, session: Session, item: Outbox, member: Member, now: datetime) -> str:
        """Add the member message; the member-cache downlink carries it to the kiosks."""
        zh = render(item.kind, "zh", item.params).short
        en = render(item.kind, "en", item.params).short
        message = MemberMessage(member_id=item.member_id, kind="notice", text_zh=zh,
                                text_en=en, on_screen=True, on_receipt=False, valid_from=now,
                                valid_until=now + timedelta(days=KIOSK_GREETING_DAYS),
                                created_at=now)
        session.add(message)
        session.flush()
        return f"kiosk greeting m{message.id}"


def build_channels(config: NotifySettings, cipher: FieldCipher,
                   sms: SmsGateway | None = None) -> dict[str, Channel]:
    """The three channels as configured (the demo's logging SMS unless told otherwise)."""
    gateway = sms if sms is not None else (LoggingSms() if config.sms_gateway == "log"
                                           else None)
    return {"email": EmailChannel(config, cipher), "sms": SmsChannel(gateway, cipher),
            "kiosk": KioskGreetingChannel()}
