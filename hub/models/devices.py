"""Devices of a site: kiosks, kitchen displays, pickup boards."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field
from hub.models.bounds import MAX_ID
from hub.models.patch import PatchModel
from hub.models.validators import CODE_PATTERN


class DeviceKind(StrEnum):
    """What a device does."""

    KIOSK = "kiosk"
    KDS = "kds"
    PICKUP = "pickup"


class DeviceBase(SQLModel):
    """Fields of a device."""

    code: str = Field(max_length=64, schema_extra={"pattern": CODE_PATTERN})
    kind: DeviceKind = Field(sa_type=sa.String(16))
    site_id: int = Field(foreign_key="site.id", index=True, ge=1, le=MAX_ID)
    name: str = Field(default="", max_length=120)
    active: bool = True


class DeviceCreate(DeviceBase):
    """Input to register a device."""


class DeviceUpdate(PatchModel):
    """Partial update of a device."""

    name: str = Field(default=None, max_length=120)
    active: bool = Field(default=None)


class Device(DeviceBase, table=True):
    """A device row; the credential hash is set when the device is provisioned."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    credential_hash: str | None = Field(default=None, max_length=255)
    last_seen_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class DevicePublic(DeviceBase):
    """A device as the API returns it (never the credential hash)."""

    id: int
    last_seen_at: datetime | None
    created_at: datetime
