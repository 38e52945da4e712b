"""Broker accounts: the Mosquitto password hash of each device and hub service user."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field


class BrokerAccountKind(StrEnum):
    """Whose account it is: a device's, or a hub service's (ingest, downlink publisher)."""

    DEVICE = "device"
    SERVICE = "service"


class BrokerAccount(SQLModel, table=True):
    """One broker user; the password itself is never stored, only its broker-format hash."""

    __tablename__ = "broker_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    kind: BrokerAccountKind = Field(sa_type=sa.String(16))
    # Deleting the device deletes its broker account: removed means revoked.
    device_id: int | None = Field(
        default=None, foreign_key="device.id", unique=True, ondelete="CASCADE"
    )
    broker_hash: str = Field(max_length=255)
    issued_at: datetime = created_at_field()
