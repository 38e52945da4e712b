"""Passwords (argon2) and access tokens (JWT with role and expiry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.db_types import utcnow
from hub.models.users import Role

JWT_ALGORITHM = "HS256"
_hasher = PasswordHasher()


class InvalidTokenError(ValueError):
    """A token that is malformed, forged, expired or names an unknown role."""


@dataclass(frozen=True)
class TokenClaims:
    """What a valid access token says about its bearer."""

    username: str
    role: Role


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(*, username: str, role: Role | str, secret: str, minutes: int) -> str:
    """A signed JWT naming the user and role, valid for `minutes`."""
    now = utcnow()
    claims = {
        "sub": username,
        "role": Role(role).value,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> TokenClaims:
    """Check signature and expiry and return the claims, else InvalidTokenError."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["sub", "exp", "role"]}
        )
        return TokenClaims(username=str(claims["sub"]), role=Role(claims["role"]))
    except (jwt.PyJWTError, ValueError) as err:
        raise InvalidTokenError(str(err)) from err
