"""Member identifiers: signing keys, per-site hash keys, cards, member-cache state, imports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class SigningKey(SQLModel, table=True):
    """An Ed25519 key signing member and coupon QR codes; the private half Fernet-encrypted."""

    __tablename__ = "token_signing_key"

    key_id: str = Field(primary_key=True, max_length=16)
    private_key_encrypted: str = Field(max_length=512)
    public_key: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    # Retired keys sign nothing new but stay published until their codes have expired.
    retired_at: datetime | None = utc_field()
    # Revoked keys are no longer published: devices refuse their codes at the next config.
    revoked_at: datetime | None = utc_field()


class SiteIdentityKey(SQLModel, table=True):
    """The per-site HMAC key for identifier hashes; devices of that site receive it."""

    __tablename__ = "site_identity_key"

    site_id: int = Field(primary_key=True, foreign_key="site.id")
    key_encrypted: str = Field(max_length=512)
    created_at: datetime = created_at_field()


class CardStatus(StrEnum):
    """A card is usable or blocked (lost, stolen); a blocked card is never unblocked."""

    ACTIVE = "active"
    BLOCKED = "blocked"


class MemberCard(SQLModel, table=True):
    """One card of a member: number encrypted, keyed lookup hash, last four digits in clear."""

    __tablename__ = "member_card"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    card_hash: str = Field(max_length=64, unique=True)
    card_encrypted: str = Field(max_length=512)
    last4: str = Field(max_length=4)
    status: str = Field(default=CardStatus.ACTIVE.value, max_length=16)
    block_reason: str | None = Field(default=None, max_length=200)
    blocked_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class CardCreate(SQLModel):
    """A card to add to a member."""

    card_no: str = Field(min_length=4, max_length=40)


class CardBlock(SQLModel):
    """Why a card is blocked (lost, stolen, broken)."""

    reason: str = Field(default="lost", min_length=1, max_length=200)


class CardPublic(SQLModel):
    """A card as the desk sees it: never the full number."""

    id: int
    member_id: int
    last4: str
    status: str
    block_reason: str | None = None
    blocked_at: datetime | None = None
    created_at: datetime


class MemberCacheSite(SQLModel, table=True):
    """The member-cache version published for one site."""

    __tablename__ = "member_cache_site"

    site_id: int = Field(primary_key=True, foreign_key="site.id")
    version: int = Field(default=0, ge=0)
    # Removals older than this were pruned: a device behind it gets a full snapshot.
    horizon: int = Field(default=0, ge=0)
    updated_at: datetime | None = utc_field()


class MemberCacheEntry(SQLModel, table=True):
    """One identifier as last published to a site: its row, the version it changed, removed?"""

    __tablename__ = "member_cache_entry"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "identifier_hash", name="uq_member_cache_entry_site_hash"),
        sa.Index("ix_member_cache_entry_site_version", "site_id", "version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    identifier_hash: str = Field(max_length=64)
    payload: str = Field(sa_type=sa.Text)
    version: int = Field(ge=0)
    removed: bool = False


class ImportStatus(StrEnum):
    """Where a member import is."""

    RUNNING = "running"
    REFUSED = "refused"
    DONE = "done"
    FAILED = "failed"


class MemberImportJob(SQLModel, table=True):
    """A bulk member import: progress, and the row-level error report when refused."""

    __tablename__ = "member_import_job"

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=200)
    status: str = Field(default=ImportStatus.RUNNING.value, max_length=16)
    total_rows: int = Field(default=0, ge=0)
    imported: int = Field(default=0, ge=0)
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    created_by: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    finished_at: datetime | None = utc_field()
