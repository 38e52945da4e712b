"""Notifications: how to reach a member, the outbox, and the log of every delivery attempt.

``notify_outbox`` holds one row per (notification, channel); its ``dedupe_key`` is unique,
so a producer that runs twice queues nothing new. A dispatcher claims a due row by moving
its ``next_attempt_at`` forward in one guarded UPDATE, so two dispatchers never send the
same row. ``notify_delivery`` records every attempt and every decision (sent, retry,
failed, deferred for quiet hours, suppressed).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class OutboxState(StrEnum):
    """queued (waiting or deferred) -> sent | failed (attempts used up) | suppressed."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class NotifyContact(SQLModel, table=True):
    """A member's e-mail address (Fernet ciphertext, as the phone) and message language."""

    __tablename__ = "notify_contact"
    __table_args__ = (sa.CheckConstraint("language IN ('zh', 'en')", name="language_known"),)

    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", primary_key=True)
    email_encrypted: str | None = Field(default=None, max_length=512)
    language: str = Field(default="zh", max_length=2)
    updated_at: datetime = created_at_field()


class Outbox(SQLModel, table=True):
    """One notification for one member on one channel, rendered in the member's language."""

    __tablename__ = "notify_outbox"
    __table_args__ = (
        sa.CheckConstraint("state IN ('queued', 'sent', 'failed', 'suppressed')",
                           name="state_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_counted"),
        sa.Index("ix_notify_outbox_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id", ondelete="SET NULL")
    kind: str = Field(max_length=32, index=True)
    channel: str = Field(max_length=16)
    language: str = Field(max_length=2)
    marketing: bool = False
    subject: str = Field(max_length=200)
    body: str = Field(max_length=2000)
    # The template's parameters, kept so the kiosk greeting can show both languages.
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    dedupe_key: str = Field(max_length=160, unique=True)
    state: str = Field(default=OutboxState.QUEUED, max_length=16)
    reason: str | None = Field(default=None, max_length=300)
    attempts: int = 0
    next_attempt_at: datetime = utc_field(nullable=False)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = utc_field()


class Delivery(SQLModel, table=True):
    """What happened when a dispatcher took up an outbox row."""

    __tablename__ = "notify_delivery"

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="notify_outbox.id", ondelete="CASCADE", index=True)
    attempt: int = 0  # the outbox row's attempt number (0 for a decision with no attempt)
    channel: str = Field(max_length=16)
    outcome: str = Field(max_length=16)  # sent, retry, failed, deferred, suppressed
    detail: str = Field(default="", max_length=500)
    at: datetime = utc_field(nullable=False, index=True)
