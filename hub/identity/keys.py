"""Token signing keys (Ed25519, encrypted at rest, rotated by key id) and per-site hash keys."""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import NotFoundError
from hub.models.identity import SigningKey, SiteIdentityKey
from hub.models.sites import Site
from hub.services.common import commit_or_conflict
from protocol.tokens import generate_private_key, public_key_b64

log = logging.getLogger(__name__)


def _new_key_id(now: datetime) -> str:
    # Date plus randomness: readable in logs, unique without a counter.
    return f"k{now:%y%m%d}{secrets.token_hex(3)}"


def rotate_signing_key(*, session: Session, cipher: FieldCipher, actor: str) -> SigningKey:
    """Make a new signing key the active one; older keys retire but stay published."""
    now = utcnow()
    private = generate_private_key()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    row = SigningKey(
        key_id=_new_key_id(now),
        private_key_encrypted=cipher.encrypt(base64.b64encode(raw).decode()),
        public_key=public_key_b64(private),
        created_at=now,
    )
    for old in session.exec(select(SigningKey).where(col(SigningKey.retired_at).is_(None))):
        old.retired_at = now
        session.add(old)
    session.add(row)
    record_audit(
        session,
        actor=actor,
        action="signing_key.rotate",
        entity="signing_key",
        entity_id=row.key_id,
    )
    commit_or_conflict(session, message="signing key rotation clashed, try again")
    session.refresh(row)
    log.info("token signing key %s is now active", row.key_id)
    return row


def active_signing_key(*, session: Session, cipher: FieldCipher) -> tuple[str, Ed25519PrivateKey]:
    """The key id and private key that sign new codes (made on first use)."""
    row = session.exec(
        select(SigningKey)
        .where(col(SigningKey.retired_at).is_(None), col(SigningKey.revoked_at).is_(None))
        .order_by(col(SigningKey.created_at).desc())
    ).first()
    if row is None:
        row = rotate_signing_key(session=session, cipher=cipher, actor="system")
    raw = base64.b64decode(cipher.decrypt(row.private_key_encrypted))
    return row.key_id, Ed25519PrivateKey.from_private_bytes(raw)


def published_public_keys(*, session: Session) -> dict[str, str]:
    """Key id -> base64url public key of every key devices must accept (not revoked)."""
    rows = session.exec(
        select(SigningKey).where(col(SigningKey.revoked_at).is_(None)).order_by(SigningKey.key_id)
    ).all()
    return {r.key_id: r.public_key for r in rows}


def revoke_signing_key(*, session: Session, key_id: str, actor: str) -> SigningKey:
    """Stop publishing a key (a leaked one): its codes are refused once devices update."""
    row = session.get(SigningKey, key_id)
    if row is None:
        raise NotFoundError(f"signing key {key_id} not found")
    now = utcnow()
    row.retired_at = row.retired_at or now
    row.revoked_at = row.revoked_at or now
    session.add(row)
    record_audit(session, actor=actor, action="signing_key.revoke", entity="signing_key",
                 entity_id=key_id)
    commit_or_conflict(session, message="signing key revocation failed")
    session.refresh(row)
    return row


def site_identity_key(*, session: Session, cipher: FieldCipher, site_id: int) -> bytes:
    """The site's 32-byte identifier-hash key (made on first use); devices of the site get it."""
    row = session.get(SiteIdentityKey, site_id)
    if row is None:
        if session.get(Site, site_id) is None:
            raise NotFoundError(f"site {site_id} not found")
        row = SiteIdentityKey(
            site_id=site_id, key_encrypted=cipher.encrypt(secrets.token_urlsafe(32))
        )
        session.add(row)
        commit_or_conflict(session, message="site key made concurrently, try again")
        session.refresh(row)
    return cipher.decrypt(row.key_encrypted).encode()


def all_site_ids(*, session: Session) -> list[int]:
    """Ids of every site (the member cache is per site)."""
    return [int(i) for i in session.exec(select(Site.id)).all() if i is not None]
