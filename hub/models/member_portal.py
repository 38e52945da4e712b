"""The member web page: one-time sign-in codes, member sessions, erasure requests.

Codes and session tokens are kept only as SHA-256 hashes (both are random secrets of
enough entropy that a hash without salt is safe); the client address a code was asked
from is kept as a keyed hash (the hub's lookup-hash key), for the per-address rate limit.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class SignInCode(SQLModel, table=True):
    """A one-time code sent to a member; dead once used, expired or tried too often."""

    __tablename__ = "member_portal_code"
    __table_args__ = (sa.CheckConstraint("attempts >= 0", name="attempts_counted"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    # Random, handed to the browser with the form: names the code without naming the member.
    challenge: str = Field(max_length=64, unique=True)
    code_hash: str = Field(max_length=64)
    channel: str = Field(max_length=16)
    address_hash: str = Field(max_length=64, index=True)
    attempts: int = 0
    created_at: datetime = created_at_field()
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field()


class MemberSession(SQLModel, table=True):
    """A signed-in member's session; the cookie (or bearer token) is the token itself."""

    __tablename__ = "member_portal_session"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = utc_field(nullable=False)
    last_seen_at: datetime = utc_field(nullable=False)
    ended_at: datetime | None = utc_field()


class ErasureState(StrEnum):
    """open (waiting for staff) -> done (erased by hub.members_io.privacy) | refused."""

    OPEN = "open"
    DONE = "done"
    REFUSED = "refused"


class ErasureRequest(SQLModel, table=True):
    """A member asked, from the web page, for their personal data to be erased."""

    __tablename__ = "member_erasure_request"
    __table_args__ = (
        sa.CheckConstraint("state IN ('open', 'done', 'refused')", name="state_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    state: str = Field(default=ErasureState.OPEN, max_length=16)
    requested_at: datetime = created_at_field()
    handled_at: datetime | None = utc_field()
    handled_by: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=300)
