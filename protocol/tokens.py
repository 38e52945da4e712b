"""Signed QR tokens (member codes, coupons) and keyed identifier hashes shared by hub and devices.

A token is ``<PREFIX>.<base64url payload>.<base64url Ed25519 signature>``:

- ``CM1`` member code: payload ``{"k": key id, "s": member id, "t": time step}``; the code
  rotates every :data:`MEMBER_STEP_S` seconds and is accepted ``MEMBER_SKEW_STEPS`` steps
  either side, so a screenshot stops working within about two minutes.
- ``CC1`` coupon: payload ``{"k": key id, "c": coupon id, "p": template code, "m": member id,
  "e": expiry (unix seconds)}``; static, redeemable once (the hub enforces "once").

The signature covers ``PREFIX.payload`` so a coupon can never pass as a member code. Devices
hold only public keys (verification is offline); the private key is an argument of the
signing functions and lives only at the hub.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MEMBER_PREFIX = "CM1"
COUPON_PREFIX = "CC1"
MEMBER_STEP_S = 60
MEMBER_SKEW_STEPS = 1
MAX_TOKEN_LENGTH = 400  # a QR code of version ~10 at level M; anything longer is not ours
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
SUBJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SIG_LEN = 64


class TokenError(ValueError):
    """Base of every refusal of a token; ``reason`` is a stable code."""

    reason = "invalid"


class TokenMalformed(TokenError):
    """Not a token of this kind: wrong prefix, bad base64, bad payload shape."""

    reason = "malformed"


class TokenUnknownKey(TokenError):
    """Signed with a key id this device does not know (not yet pushed, or revoked)."""

    reason = "unknown_key"


class TokenBadSignature(TokenError):
    """The signature does not match: forged or altered."""

    reason = "bad_signature"


class TokenExpired(TokenError):
    """Outside its validity window (too old, or from too far in the future)."""

    reason = "expired"


@dataclass(frozen=True, slots=True)
class CouponClaim:
    """What a verified coupon token says."""

    coupon_id: str
    template_code: str
    member_id: str
    expires_at: datetime
    key_id: str


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise TokenMalformed("token part is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        raise TokenMalformed("token part is not base64url") from err


def generate_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 signing key (hub only)."""
    return Ed25519PrivateKey.generate()


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key as base64url, the form devices receive."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return _b64e(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def load_public_key(text: str) -> Ed25519PublicKey:
    """Parse a base64url raw public key as sent to devices."""
    raw = _b64d(text)
    if len(raw) != 32:
        raise TokenMalformed("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def time_step(now: datetime, step_s: int = MEMBER_STEP_S) -> int:
    """The member-code time step that ``now`` (aware) falls in."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp()) // step_s


def _sign(prefix: str, payload: dict[str, object], key_id: str, key: Ed25519PrivateKey) -> str:
    if not KEY_ID_RE.fullmatch(key_id):
        raise ValueError(f"bad key id {key_id!r}")
    body = _b64e(json.dumps({"k": key_id, **payload}, separators=(",", ":")).encode())
    signed = f"{prefix}.{body}"
    return f"{signed}.{_b64e(key.sign(signed.encode('ascii')))}"


def _open(
    token: object, prefix: str, public_keys: Mapping[str, Ed25519PublicKey | str]
) -> dict[str, object]:
    """Check shape, key id and signature; return the payload (time is checked by the caller)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise TokenMalformed("not a token string of a sane length")
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != prefix:
        raise TokenMalformed(f"not a {prefix} token")
    body, sig = _b64d(parts[1]), _b64d(parts[2])
    if len(sig) != _SIG_LEN:
        raise TokenMalformed("signature has the wrong length")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as err:
        raise TokenMalformed("payload is not JSON") from err
    if not isinstance(payload, dict):
        raise TokenMalformed("payload is not an object")
    key_id = payload.get("k")
    if not isinstance(key_id, str) or not KEY_ID_RE.fullmatch(key_id):
        raise TokenMalformed("payload has no valid key id")
    public = public_keys.get(key_id)
    if public is None:
        raise TokenUnknownKey(f"unknown signing key {key_id!r}")
    if isinstance(public, str):
        public = load_public_key(public)
    try:
        public.verify(sig, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature as err:
        raise TokenBadSignature("signature does not match") from err
    return payload


def _subject(payload: Mapping[str, object], field: str) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not SUBJECT_RE.fullmatch(value):
        raise TokenMalformed(f"payload field {field!r} is missing or invalid")
    return value


def _int(payload: Mapping[str, object], field: str) -> int:
    value = payload.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TokenMalformed(f"payload field {field!r} is not a non-negative integer")
    return value


def sign_member_token(
    *, member_id: str, now: datetime, key_id: str, private_key: Ed25519PrivateKey
) -> str:
    """The member's QR code for the time step of ``now`` (hub only: needs the private key)."""
    if not SUBJECT_RE.fullmatch(member_id):
        raise ValueError(f"bad member id {member_id!r}")
    return _sign(MEMBER_PREFIX, {"s": member_id, "t": time_step(now)}, key_id, private_key)


def member_token_expires_at(now: datetime) -> datetime:
    """When a code signed at ``now`` stops being accepted (end of the skew window)."""
    last_step = time_step(now) + MEMBER_SKEW_STEPS
    return datetime.fromtimestamp((last_step + 1) * MEMBER_STEP_S, UTC)


def verify_member_token(
    token: str, public_keys: Mapping[str, Ed25519PublicKey | str], now: datetime
) -> str:
    """The member id of a valid, current member code; else a TokenError subclass."""
    payload = _open(token, MEMBER_PREFIX, public_keys)
    member_id = _subject(payload, "s")
    step = _int(payload, "t")
    if abs(time_step(now) - step) > MEMBER_SKEW_STEPS:
        raise TokenExpired("member code is outside its time window: show a fresh code")
    return member_id


def sign_coupon_token(
    *,
    coupon_id: str,
    template_code: str,
    member_id: str,
    expires_at: datetime,
    key_id: str,
    private_key: Ed25519PrivateKey,
) -> str:
    """A coupon's QR code (hub only)."""
    for value in (coupon_id, template_code, member_id):
        if not SUBJECT_RE.fullmatch(value):
            raise ValueError(f"bad coupon token field {value!r}")
    payload = {"c": coupon_id, "p": template_code, "m": member_id, "e": int(expires_at.timestamp())}
    return _sign(COUPON_PREFIX, payload, key_id, private_key)


def verify_coupon_token(
    token: str, public_keys: Mapping[str, Ed25519PublicKey | str], now: datetime
) -> CouponClaim:
    """The claim of a valid, unexpired coupon code; else a TokenError subclass."""
    payload = _open(token, COUPON_PREFIX, public_keys)
    expires = _int(payload, "e")
    claim = CouponClaim(
        coupon_id=_subject(payload, "c"),
        template_code=_subject(payload, "p"),
        member_id=_subject(payload, "m"),
        expires_at=datetime.fromtimestamp(expires, UTC),
        key_id=str(payload["k"]),
    )
    if now.timestamp() >= expires:
        raise TokenExpired("coupon has expired")
    return claim


def identifier_hash(kind: str, value: str, site_key: bytes) -> str:
    """HMAC-SHA256 hex of a member identifier under the site's key (``kind``: member, card).

    Keyed so that a leaked member cache cannot be reversed by trying every card number.
    """
    if kind not in ("member", "card"):
        raise ValueError(f"unknown identifier kind {kind!r}")
    if kind == "card":
        # Readers and desks format numbers differently; both sides hash the same normal form.
        value = normalise_card_number(value)
    if len(site_key) < 16:
        raise ValueError("site identifier key must have at least 16 bytes")
    return hmac.new(site_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


CARD_RE = re.compile(r"^[0-9A-Z]{4,32}$")


def normalise_card_number(value: str) -> str:
    """Card number as readers and desks must both hash it: no spaces or dashes, upper case."""
    compact = re.sub(r"[\s-]", "", value).upper()
    if not CARD_RE.fullmatch(compact):
        raise ValueError("card number must be 4-32 letters or digits")
    return compact
