"""Claiming a device: the one-time code, its QR text, and the HTTP exchange both sides speak.

A new device is claimed with a one-time code made on the hub (shown as text and as a QR).
The device sends the code to ``CLAIM_PATH`` and gets its identity (site, device code,
kind) and its own broker login back. This module is the contract of that exchange; the
hub serves it (hub/fleet/claim.py) and the edge agent calls it (``canteen-agent claim``).
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

CLAIM_PATH = "/api/v1/fleet/claim"
# No 0/O, 1/I/L, U: codes are read off a screen and typed on a kiosk keyboard.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 12  # 30^12 ~ 2^59: with the hub's rate limit, not guessable in a code's lifetime
QR_PREFIX = "CANTEEN-CLAIM:1:"
KITCHEN_SUFFIX = "-kitchen"
# What a claimed device's code and its site's code must be: both a hub code and an agent id.
DEVICE_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"

_TYPED_RE = re.compile(r"^[A-Za-z0-9 -]{12,32}$")

ClaimCodeText = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{12,32}$")]


def new_claim_code() -> str:
    """A fresh random code, grouped for reading: ``ABCD-EFGH-JKMN``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_claim_code(text: str) -> str | None:
    """The code as stored (upper case, no spaces or dashes), or None if it cannot be one."""
    if _TYPED_RE.fullmatch(text) is None:
        return None
    raw = text.replace("-", "").replace(" ", "").upper()
    if len(raw) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in raw):
        return None
    return raw


def claim_qr_text(hub_url: str, code: str) -> str:
    """What the QR on the hub's claim page holds: the hub's address and the code."""
    return f"{QR_PREFIX}{hub_url.rstrip('/')}#{code}"


def parse_claim_qr(text: str) -> tuple[str, str]:
    """(hub URL, code) from a scanned QR text; ValueError when it is not a claim QR."""
    if not text.startswith(QR_PREFIX) or "#" not in text:
        raise ValueError("not a canteen-edge claim QR (expected CANTEEN-CLAIM:1:<hub>#<code>)")
    hub_url, code = text[len(QR_PREFIX):].rsplit("#", 1)
    if not hub_url.startswith(("http://", "https://")) or normalise_claim_code(code) is None:
        raise ValueError("claim QR holds no hub address or no valid code")
    return hub_url, code


def kitchen_login(username: str) -> str:
    """The broker user (and client id) of a kitchen display's or pickup board's kitchen link.

    The device's agent logs in as ``username`` with client id ``username``; its kitchen link
    keeps a session of its own, so it has a login of its own, bound to its own client id.
    """
    return f"{username}{KITCHEN_SUFFIX}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClaimRequest(_Strict):
    """What a device sends: the code it was given (typed or scanned)."""

    code: ClaimCodeText = Field(description="The one-time claim code, e.g. ABCD-EFGH-JKMN.")


class ClaimGrant(_Strict):
    """What the hub answers once: who the device is and how it logs in to its broker."""

    site: str = Field(pattern=DEVICE_CODE_PATTERN, description="The site's code.")
    device: str = Field(pattern=DEVICE_CODE_PATTERN, description="The device's code.")
    kind: Literal["kiosk", "kds", "pickup"]
    username: str = Field(max_length=64, description="Broker user (also the MQTT client id).")
    password: str = Field(max_length=128, description="Broker password: shown this once.")
    kitchen_username: str | None = Field(
        None, max_length=64, description="The kitchen link's broker user (KDS, pickup)."
    )
    broker_host: str = Field(max_length=255)
    broker_port: int = Field(ge=1, le=65535)
    tls_ca_pem: str | None = Field(
        None, max_length=20_000, description="The site CA certificate when the broker uses TLS."
    )
    timezone: str = Field("Asia/Shanghai", max_length=64)
