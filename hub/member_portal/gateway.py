"""How a sign-in code reaches a member: an e-mail through any SMTP server, or an SMS.

One small interface per medium, so a real SMS provider is one class with ``send_sms``:

- :class:`SmtpMail` sends a plain-text UTF-8 mail with the standard library's ``smtplib``
  (optional STARTTLS and login), to any mail server;
- :class:`LoggingSms` is the demo's SMS gateway: it writes the text to the log with the
  phone number masked (a demo has no SMS provider; read the code from the hub's log).

Both raise :class:`GatewayError` when the message could not be handed over, so the caller
can refuse the request and keep nothing of it.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from hub.notify.channels import mask  # one masking rule for every log line of an address
from hub.notify.config import NotifySettings

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """The message could not be handed to the mail server or SMS provider."""


class MailGateway(Protocol):
    """Sends one plain-text e-mail."""

    def send_mail(self, *, to: str, subject: str, body: str, language: str) -> None:
        """Hand the mail over, or raise GatewayError."""
        ...


class SmsGateway(Protocol):
    """Sends one short text message."""

    def send_sms(self, *, phone: str, text: str) -> None:
        """Hand the message over, or raise GatewayError."""
        ...


@dataclass(frozen=True)
class SmtpMail:
    """Mail through an SMTP server (any: the hub's relay, a provider, a local test server)."""

    host: str
    port: int = 25
    sender: str = "canteen@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, config: NotifySettings) -> SmtpMail | None:
        """The hub's SMTP server (``CANTEEN_NOTIFY_SMTP_*``); None when none is configured."""
        if not config.smtp_host:
            return None
        return cls(host=config.smtp_host, port=config.smtp_port, sender=config.smtp_sender,
                   username=config.smtp_username, password=config.smtp_password,
                   starttls=config.smtp_starttls, timeout_s=config.smtp_timeout_s)

    def send_mail(self, *, to: str, subject: str, body: str, language: str) -> None:
        """Connect, (STARTTLS, log in,) send, quit."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Content-Language"] = "zh-CN" if language.startswith("zh") else "en"
        msg.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as err:
            raise GatewayError(f"mail server {self.host}:{self.port}: "
                               f"{type(err).__name__}: {err}") from err
        log.info("sign-in code mailed to %s via %s:%s", mask(to), self.host, self.port)


class LoggingSms:
    """The demo's SMS gateway: the message goes to the log, the phone masked."""

    def send_sms(self, *, phone: str, text: str) -> None:
        """Log the text (the demo reads the code there); never fails."""
        log.warning("SMS (demo gateway, not sent) to %s: %s", mask(phone), text)


@dataclass(frozen=True)
class Gateways:
    """The media a code can go out on; None where the hub has none configured."""

    mail: MailGateway | None
    sms: SmsGateway | None


def gateways_from_env() -> Gateways:
    """Mail from ``CANTEEN_NOTIFY_SMTP_*``; SMS logged unless ``CANTEEN_NOTIFY_SMS_GATEWAY=off``."""
    config = NotifySettings()
    return Gateways(mail=SmtpMail.from_settings(config),
                    sms=LoggingSms() if config.sms_gateway == "log" else None)
