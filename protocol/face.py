"""Face templates on the wire (schema 1.1) and the one rule that seals them.

A template is a face embedding (128 float32 for dlib's ResNet), sensitive personal
information under PIPL. It never travels or rests in clear outside the hub's memory:
the device that enrols seals it, the hub opens it only to re-encrypt it at rest with
its own key (``hub.crypto.FieldCipher``) and seals it again for each site's member
cache, and kiosks keep it sealed in their store, opening it into memory to match.

Sealing: AES-256-GCM under a key derived (HKDF-SHA256) from the site's identity key,
which the hub and the site's devices already share for identifier hashes and which a
device keeps in a file, not in its database. The associated data binds a template to
its member and template id, so a sealed template copied onto another member does not
open. The nonce is derived from the template id: each template id seals one vector only
(a new enrolment gets a new id), so the hub's member-cache builds produce the same bytes
each time and do not re-send unchanged members.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import struct
from collections.abc import Sequence
from typing import Annotated, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import Field

from protocol.fields import Count, Identifier, UtcDatetime, Uuid7, WireModel

TEMPLATE_DIM = 128
MAX_ABS_COMPONENT = 10.0  # dlib's components are well inside +-1; anything else is garbage
SealedText = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+={0,2}$", min_length=16,
                                  max_length=2048)]
FACE_CONSENT_VERSION = "face_v1"
"""The consent text shown at enrolment (kiosk/locale); a new wording gets a new version."""


class TemplateError(ValueError):
    """A sealed template that does not open (wrong key, member, or corrupt bytes)."""


class FaceTemplate(WireModel):
    """A sealed face template as the member cache and the enrolment event carry it."""

    template_id: Uuid7
    model: Identifier  # the embedder that made it (templates of other models are ignored)
    sealed: SealedText


class FaceEnrolled(WireModel):
    """``face.enrolled``: a member enrolled at a kiosk after accepting the face consent."""

    member_id: Identifier
    template: FaceTemplate
    consent_version: Identifier
    consent_lang: Literal["zh_Hans", "en"]
    consented_at: UtcDatetime
    frames: Count = 0  # good frames averaged into the template


def template_key(site_key: bytes) -> bytes:
    """The 32-byte sealing key of a site."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"canteen-edge face template v1").derive(site_key)


def _aad(member_id: str, template_id: str) -> bytes:
    return f"{member_id}|{template_id}".encode()


def seal_template(vector: Sequence[float], *, site_key: bytes, member_id: str,
                  template_id: str) -> str:
    """Seal a template vector for one member (deterministic per template id)."""
    values = [float(v) for v in vector]
    if len(values) != TEMPLATE_DIM or not all(
            math.isfinite(v) and abs(v) <= MAX_ABS_COMPONENT for v in values):
        raise TemplateError(f"a template is {TEMPLATE_DIM} finite numbers")
    key = template_key(site_key)
    nonce = hmac.new(key, b"nonce|" + template_id.encode(), hashlib.sha256).digest()[:12]
    body = AESGCM(key).encrypt(nonce, struct.pack(f"<{TEMPLATE_DIM}f", *values),
                               _aad(member_id, template_id))
    return base64.urlsafe_b64encode(nonce + body).decode()


def open_template(sealed: str, *, site_key: bytes, member_id: str,
                  template_id: str) -> tuple[float, ...]:
    """The vector of a sealed template; TemplateError when it does not open or is garbage."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        plain = AESGCM(template_key(site_key)).decrypt(raw[:12], raw[12:],
                                                       _aad(member_id, template_id))
    except (InvalidTag, ValueError, binascii.Error) as err:
        raise TemplateError("face template does not open: wrong key, member or corrupt") \
            from err
    if len(plain) != 4 * TEMPLATE_DIM:
        raise TemplateError("face template has the wrong length")
    values = struct.unpack(f"<{TEMPLATE_DIM}f", plain)
    if not all(math.isfinite(v) and abs(v) <= MAX_ABS_COMPONENT for v in values):
        raise TemplateError("face template holds garbage numbers")
    return values
