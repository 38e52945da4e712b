"""Wire shapes of the member-cache downlink: what a kiosk holds to serve members offline.

Shared by the hub (which builds it) and the devices (which apply it), so the hub can
build what devices parse without importing device code; the fields are unchanged.
``identifier_hash`` is ``protocol.tokens.identifier_hash``: HMAC-SHA256 under the site key.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from protocol.face import FaceTemplate
from protocol.fields import (
    Cents,
    Code,
    Count,
    Flag,
    Identifier,
    Name,
    Positive,
    ShortText,
    UtcDatetime,
    WireModel,
)

IdentifierHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""HMAC-SHA256 hex of a member identifier under the site key: the raw value never leaves the hub."""

MAX_MEMBERS_PER_DELTA = 50_000


MAX_MEMBER_MESSAGES = 4


class MemberMessage(WireModel):
    """Something the hub wants said to the member at their next visit (schema 1.1).

    ``campaign``: a greeting with an offer from a CRM campaign; ``follow_up``: the answer
    to a complaint. With ``on_screen`` the kiosk shows it on the menu screen once the
    member is identified; with ``on_receipt`` it prints it on the receipt. ``code`` is
    stable per message, so a device can tell a new one from one it already showed.
    """

    code: Code
    kind: Literal["campaign", "follow_up"]
    text_zh: ShortText
    text_en: ShortText
    offer_zh: ShortText = ""
    offer_en: ShortText = ""
    on_screen: Flag = True
    on_receipt: Flag = False
    valid_until: UtcDatetime | None = None


class CachedMember(WireModel):
    """What a kiosk needs to serve a member offline, and nothing more."""

    identifier_hash: IdentifierHash
    member_id: Identifier
    display_name: Name
    tier: Code
    balance_cents: Cents  # paid stored value
    bonus_cents: Cents = 0  # top-up bonus, spent after the paid balance
    subsidy_cents: Cents = 0
    points: Count = 0
    offline_limit_cents: Cents
    # Pre-set the kiosk's dietary filters (codes of rules.dietary; consented profile data).
    preferences: tuple[Code, ...] = Field(default=(), max_length=16)
    allergens: tuple[Code, ...] = Field(default=(), max_length=32)
    # A card reported lost: kept as a tombstone so the kiosk can say so instead of "unknown".
    blocked: Flag = False
    # Greetings and complaint follow-ups waiting for the member (schema 1.1, additive).
    messages: tuple[MemberMessage, ...] = Field(default=(), max_length=MAX_MEMBER_MESSAGES)
    # The member's sealed face template (schema 1.1, additive): only on the row of the
    # member's own identifier, only while the face consent is in force (protocol.face).
    face: FaceTemplate | None = None


class MemberCacheDelta(WireModel):
    """Changes to a device's member cache from ``from_version`` to ``to_version``.

    ``full`` replaces the whole cache (``from_version`` is then ignored); otherwise
    the device applies it only if its version equals ``from_version``.
    """

    from_version: Count
    to_version: Positive
    full: Flag = False
    generated_at: UtcDatetime
    upserts: tuple[CachedMember, ...] = Field(default=(), max_length=MAX_MEMBERS_PER_DELTA)
    removals: tuple[IdentifierHash, ...] = Field(default=(), max_length=MAX_MEMBERS_PER_DELTA)

    @model_validator(mode="after")
    def _versions_forward(self) -> Self:
        if not self.full and self.to_version <= self.from_version:
            raise ValueError("to_version must be greater than from_version")
        if self.full and self.removals:
            raise ValueError("a full snapshot has no removals")
        hashes = [m.identifier_hash for m in self.upserts]
        if len(set(hashes)) != len(hashes):
            raise ValueError("an identifier_hash appears twice in upserts")
        return self
