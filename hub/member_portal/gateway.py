"""How a sign-in code reaches a member: an e-mail through any SMTP server, or an SMS.

One small interface per medium, so a real SMS provider is one class with ``send_sms``:

- :class:`SmtpMail` sends a plain-text UTF-8 mail through hub.mail's ``SmtpSender`` (the
  hub's one SMTP sender, shared with the notification e-mail channel), to any mail server;
- :class:`LoggingSms` is the demo's SMS gateway: it writes the text to the log with the
  phone number masked (a demo has no SMS provider; read the code from the hub's log).

Both raise :class:`GatewayError` when the message could not be handed over, so the caller
can refuse the request and keep nothing of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from hub.mail import MailError, SmtpSender
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
    """Sign-in codes by mail through the hub's SMTP server (hub.mail, the one sender)."""

    server: SmtpSender

    @classmethod
    def from_settings(cls, config: NotifySettings) -> SmtpMail | None:
        """The hub's SMTP server (``CANTEEN_NOTIFY_SMTP_*``); None when none is configured."""
        server = SmtpSender.from_settings(config)
        return None if server is None else cls(server)

    def send_mail(self, *, to: str, subject: str, body: str, language: str) -> None:
        """Hand the mail to the server; any refusal is a GatewayError (the code is not kept)."""
        try:
            self.server.send(to=to, subject=subject, body=body, language=language)
        except MailError as err:
            where = self.server.where  # named once: a connection failure already names it
            raise GatewayError(err.detail if where in err.detail
                               else f"mail server {where}: {err.detail}") from err
        log.info("sign-in code mailed to %s via %s", mask(to), self.server.where)


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
