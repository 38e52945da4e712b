"""Signed QR tokens: rotation window, forgery, unknown keys, malformed input, card hashing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from protocol.tokens import (
    CouponClaim,
    TokenBadSignature,
    TokenExpired,
    TokenMalformed,
    TokenUnknownKey,
    generate_private_key,
    identifier_hash,
    member_token_expires_at,
    public_key_b64,
    sign_coupon_token,
    sign_member_token,
    verify_coupon_token,
    verify_member_token,
)

T0 = datetime(2025, 3, 3, 11, 30, 5, tzinfo=UTC)
KEY = generate_private_key()
OTHER = generate_private_key()
KEYS = {"k1": public_key_b64(KEY)}


def member_token(now: datetime = T0, key_id: str = "k1") -> str:
    return sign_member_token(member_id="M0001", now=now, key_id=key_id, private_key=KEY)


def test_member_code_accepted_within_its_window_and_refused_after() -> None:
    token = member_token()
    assert len(token) < 200 and token.startswith("CM1.")
    for delta in (0, 30, 60, 100):
        assert verify_member_token(token, KEYS, T0 + timedelta(seconds=delta)) == "M0001"
    assert verify_member_token(token, KEYS, T0 - timedelta(seconds=60)) == "M0001"
    expiry = member_token_expires_at(T0)
    assert verify_member_token(token, KEYS, expiry - timedelta(seconds=1)) == "M0001"
    with pytest.raises(TokenExpired):
        verify_member_token(token, KEYS, expiry)
    with pytest.raises(TokenExpired):
        verify_member_token(token, KEYS, T0 + timedelta(minutes=10))
    # From the future (a screenshot of a clock-skewed phone) is refused too.
    with pytest.raises(TokenExpired):
        verify_member_token(token, KEYS, T0 - timedelta(minutes=3))


def test_screenshot_is_useless_two_steps_later_but_fresh_code_works() -> None:
    later = T0 + timedelta(minutes=5)
    with pytest.raises(TokenExpired):
        verify_member_token(member_token(), KEYS, later)
    assert verify_member_token(member_token(later), KEYS, later) == "M0001"


def _swap_payload(token: str, **changes: object) -> str:
    prefix, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload.update(changes)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return f"{prefix}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{sig}"


def test_altered_or_forged_codes_refused() -> None:
    token = member_token()
    with pytest.raises(TokenBadSignature):
        verify_member_token(_swap_payload(token, s="M0002"), KEYS, T0)
    forged = sign_member_token(member_id="M0001", now=T0, key_id="k1", private_key=OTHER)
    with pytest.raises(TokenBadSignature):
        verify_member_token(forged, KEYS, T0)
    prefix, body, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    with pytest.raises(TokenBadSignature):
        verify_member_token(f"{prefix}.{body}.{flipped}", KEYS, T0)


def test_unknown_key_refused_and_rotation_by_key_id() -> None:
    token = sign_member_token(member_id="M0001", now=T0, key_id="k2", private_key=OTHER)
    with pytest.raises(TokenUnknownKey):
        verify_member_token(token, KEYS, T0)
    both = {**KEYS, "k2": public_key_b64(OTHER)}
    assert verify_member_token(token, both, T0) == "M0001"
    assert verify_member_token(member_token(), both, T0) == "M0001"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "CM1",
        "CM1.a.b.c",
        "XX1.e30.AAAA",
        "CM1.!!!.AAAA",
        "CM1.e30." + "A" * 86,
        "CM1.bm90IGpzb24." + "A" * 86,
        "CM1.W10." + "A" * 86,
        "CM1." + "A" * 500,
        12345,
    ],
)
def test_malformed_codes_refused(bad: object) -> None:
    with pytest.raises(TokenMalformed):
        verify_member_token(bad, KEYS, T0)  # type: ignore[arg-type]


def test_coupon_token_is_not_a_member_token_and_expires() -> None:
    until = T0 + timedelta(days=7)
    token = sign_coupon_token(
        coupon_id="42",
        template_code="WELCOME5",
        member_id="M0001",
        expires_at=until,
        key_id="k1",
        private_key=KEY,
    )
    assert token.startswith("CC1.")
    claim = verify_coupon_token(token, KEYS, T0)
    assert claim == CouponClaim("42", "WELCOME5", "M0001", until.replace(microsecond=0), "k1")
    with pytest.raises(TokenMalformed):
        verify_member_token(token, KEYS, T0)
    # Re-labelling the coupon as a member code breaks the signature (prefix is signed).
    with pytest.raises(TokenBadSignature):
        verify_member_token("CM1" + token[3:], KEYS, T0)
    with pytest.raises(TokenExpired):
        verify_coupon_token(token, KEYS, until)


def test_card_identifier_hash_is_keyed_and_normalised() -> None:
    key_a, key_b = b"a" * 32, b"b" * 32
    h = identifier_hash("card", "0012345678", key_a)
    assert len(h) == 64 and h == identifier_hash("card", " 0012-3456 78 ", key_a)
    assert h != identifier_hash("card", "0012345678", key_b)
    assert h != identifier_hash("member", "0012345678", key_a)
    with pytest.raises(ValueError):
        identifier_hash("card", "12", key_a)
    with pytest.raises(ValueError):
        identifier_hash("card", "0012345678", b"short")
