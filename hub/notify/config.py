"""The dispatcher's settings, read from ``CANTEEN_NOTIFY_*`` environment variables.

Kept apart from ``hub.settings.Settings`` (which refuses unknown keys in ``.env``): these
are read from the environment only, e.g. the systemd unit's ``EnvironmentFile``.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOW_BALANCE_CENTS = 1_000
"""A member's stored balance (paid + bonus) falling below this (¥10) queues a low-balance
notice; the ledger hook uses this value (CANTEEN_NOTIFY_LOW_BALANCE_CENTS is read there)."""


class NotifySettings(BaseSettings):
    """SMTP server, SMS gateway, quiet hours, frequency cap, retries."""

    model_config = SettingsConfigDict(env_prefix="CANTEEN_NOTIFY_", extra="ignore")

    smtp_host: str | None = Field(None, description="SMTP server; unset: e-mail is off.")
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_sender: str = Field("canteen@localhost", max_length=200,
                             description="The From address of the mails.")
    smtp_username: str | None = Field(None, description="Log in with this user (needs TLS).")
    smtp_password_file: Path | None = Field(None, description="File holding the password.")
    smtp_starttls: bool = Field(False, description="STARTTLS before logging in.")
    smtp_timeout_s: float = Field(10.0, gt=0, le=120)
    sms_gateway: str = Field("log", pattern="^(log|off)$",
                             description="log: write masked SMS to the log (demo); off.")
    quiet_start: time = Field(time(21, 0), description="Quiet hours start (local time).")
    quiet_end: time = Field(time(8, 0), description="Quiet hours end (local time).")
    timezone: str = Field("Asia/Shanghai",
                          description="Zone of quiet hours for members with no site.")
    marketing_cap: int = Field(2, ge=0, le=100,
                               description="Marketing messages per member and channel ...")
    cap_days: int = Field(7, ge=1, le=90, description="... in this many days.")
    max_attempts: int = Field(5, ge=1, le=20)
    retry_base_s: int = Field(60, ge=1, le=86_400, description="First retry after this.")
    retry_max_s: int = Field(3_600, ge=1, le=7 * 86_400, description="Longest wait.")
    batch: int = Field(200, ge=1, le=10_000, description="Rows one dispatch run takes up.")
    low_balance_cents: int = Field(LOW_BALANCE_CENTS, ge=0, le=10_000_000)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value

    @property
    def smtp_password(self) -> str | None:
        """The password read from its file (stripped), if one is configured."""
        if self.smtp_password_file is None:
            return None
        return self.smtp_password_file.read_text(encoding="utf-8").strip()
