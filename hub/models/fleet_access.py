"""Fleet access: one-time claim codes for new devices, and the tries that limit guessing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class ClaimCode(SQLModel, table=True):
    """A one-time code that lets one new device claim its identity and broker login.

    Only a SHA-256 of the code is kept: the code is shown once (text and QR) when it is made.
    """

    __tablename__ = "fleet_claim_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    # The code's last characters, so staff can tell codes apart without the secret.
    hint: str = Field(max_length=8)
    site_id: int = Field(foreign_key="site.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    device_code: str = Field(max_length=64)
    device_name: str = Field(default="", max_length=120)
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = created_at_field()
    expires_at: datetime = utc_field(nullable=False)
    claimed_at: datetime | None = utc_field()
    # SET NULL: decommissioning a device deletes it; the code's history stays.
    device_id: int | None = Field(default=None, foreign_key="device.id", ondelete="SET NULL")
    cancelled_at: datetime | None = utc_field()


class ClaimAttempt(SQLModel, table=True):
    """One try at a claim code from one address: refused tries are counted to limit guessing."""

    __tablename__ = "fleet_claim_attempt"
    __table_args__ = (sa.Index("ix_fleet_claim_attempt_remote_at", "remote", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    remote: str = Field(max_length=64)
    at: datetime = created_at_field()
    succeeded: bool = False
