"""Hub users (people and devices that call the API) and their roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field
from hub.models.patch import PatchModel

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$"
MIN_PASSWORD_LENGTH = 10


class Role(StrEnum):
    """What a user may do; checked by one dependency, `require_role`."""

    ADMIN = "admin"
    MANAGER = "manager"
    CASHIER = "cashier"
    KITCHEN = "kitchen"
    DEVICE = "device"


class UserBase(SQLModel):
    """Fields of a user."""

    username: str = Field(max_length=64, schema_extra={"pattern": USERNAME_PATTERN})
    role: Role = Field(sa_type=sa.String(16))
    active: bool = True


class UserCreate(UserBase):
    """Input to create a user; the password is hashed with argon2 before storage."""

    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)


class UserUpdate(PatchModel):
    """Partial update of a user."""

    role: Role = Field(default=None)
    active: bool = Field(default=None)
    password: str = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=256)


class User(UserBase, table=True):
    """A user row (table `users`: `user` is reserved in PostgreSQL)."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = created_at_field()


class UserPublic(UserBase):
    """A user as the API returns it (never the hash)."""

    id: int
    created_at: datetime


class Token(SQLModel):
    """The OAuth2 token response."""

    access_token: str
    token_type: str = "bearer"
    role: Role
    expires_in: int
