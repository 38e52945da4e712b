"""The hub's one SMTP sender: a plain-text UTF-8 mail through any mail server.

Both mail senders of the hub use it: the member web page's sign-in codes
(hub.member_portal.gateway.SmtpMail) and the notification e-mail channel
(hub.notify.channels.EmailChannel). Connecting, STARTTLS, login, the message's headers and
how a failure is classified live here once; each caller only maps :class:`MailError` to
its own error (a sign-in refusal, a retry or a permanent failure in the delivery log).
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

from hub.notify.config import NotifySettings


class MailError(Exception):
    """The mail server did not take the mail; ``permanent`` when retrying cannot help
    (recipient refused, a 5xx answer), else a passing failure (down, timeout, 4xx)."""

    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpSender:
    """An SMTP server and how to log in to it (the hub's relay, a provider, a test server)."""

    host: str
    port: int = 25
    sender: str = "canteen@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, config: NotifySettings) -> SmtpSender | None:
        """The hub's SMTP server (``CANTEEN_NOTIFY_SMTP_*``); None when none is configured."""
        if not config.smtp_host:
            return None
        return cls(host=config.smtp_host, port=config.smtp_port, sender=config.smtp_sender,
                   username=config.smtp_username, password=config.smtp_password,
                   starttls=config.smtp_starttls, timeout_s=config.smtp_timeout_s)

    @property
    def where(self) -> str:
        """``host:port`` for log lines and delivery details."""
        return f"{self.host}:{self.port}"

    def send(self, *, to: str, subject: str, body: str, language: str,
             message_id: str | None = None) -> None:
        """Connect, (STARTTLS, log in,) send one mail, quit; MailError when not taken."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        if message_id is not None:
            msg["Message-ID"] = message_id
        msg.set_content(body)
        # After set_content, which drops every Content-* header set before it.
        msg["Content-Language"] = "zh-CN" if language.startswith("zh") else "en"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as err:
            raise MailError(f"recipient refused: {_codes(err.recipients)}",
                            permanent=True) from err
        except smtplib.SMTPResponseException as err:
            raise MailError(f"SMTP {err.smtp_code}: {_text(err.smtp_error)}",
                            permanent=500 <= err.smtp_code < 600) from err
        except (smtplib.SMTPException, OSError) as err:
            raise MailError(f"SMTP server {self.where}: {type(err).__name__}: {err}",
                            permanent=False) from err


def _text(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value)[:200]


def _codes(recipients: Mapping[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{code} {_text(why)}" for code, why in recipients.values())
