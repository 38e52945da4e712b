"""Mosquitto 2.0 password hashes (``$7$``: PBKDF2-HMAC-SHA512), made and checked in Python."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# Mosquitto's own default. The passwords are 256-bit random secrets, so stretching adds
# nothing against guessing; a low count keeps a reconnect storm cheap on a Pi broker.
ITERATIONS = 101
SALT_BYTES = 12
_PREFIX = "$7$"


def new_password() -> str:
    """A random broker password: 32 bytes, URL-safe base64 (no ':' or whitespace)."""
    return secrets.token_urlsafe(32)


def _derive(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)


def mosquitto_hash(
    password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None
) -> str:
    """The ``$7$<iterations>$<salt b64>$<hash b64>`` string of a Mosquitto password_file."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = _derive(password, salt, iterations)
    salt_b64, hash_b64 = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"{_PREFIX}{iterations}${salt_b64}${hash_b64}"


def verify_mosquitto_hash(password: str, stored: str) -> bool:
    """True when ``password`` matches a ``$7$`` hash (as the broker would decide)."""
    if not stored.startswith(_PREFIX):
        return False
    try:
        iterations_s, salt_b64, hash_b64 = stored[len(_PREFIX):].split("$")
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(hash_b64, validate=True)
        iterations = int(iterations_s)
    except ValueError:
        return False
    if iterations < 1:
        return False
    return hmac.compare_digest(_derive(password, salt, iterations), expected)
