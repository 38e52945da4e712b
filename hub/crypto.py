"""Personal data at rest: Fernet encryption plus a keyed HMAC for exact-match search."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from hub.settings import Settings


class FieldCipherError(ValueError):
    """Ciphertext that this key cannot decrypt (wrong key or corrupted data)."""


class FieldCipher:
    """Encrypts, decrypts and hashes personal fields with the keys from the settings."""

    def __init__(self, *, encryption_key: str, hash_key: str) -> None:
        self._fernet = Fernet(encryption_key.encode())
        self._hash_key = hash_key.encode()

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCipher:
        """The cipher configured by CANTEEN_FIELD_ENCRYPTION_KEY and CANTEEN_LOOKUP_HASH_KEY."""
        return cls(
            encryption_key=settings.field_encryption_key.get_secret_value(),
            hash_key=settings.lookup_hash_key.get_secret_value(),
        )

    def encrypt(self, plain: str) -> str:
        """Fernet ciphertext of the text (different each time)."""
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The plain text of a ciphertext made by `encrypt`."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as err:
            raise FieldCipherError("cannot decrypt field: wrong key or corrupted data") from err

    def lookup_hash(self, plain: str) -> str:
        """HMAC-SHA256 hex of the text: equal inputs give equal hashes, unreadable without key."""
        return hmac.new(self._hash_key, plain.encode(), hashlib.sha256).hexdigest()
