"""Payloads of the two downlinks protocol v1 does not have yet: member cache delta, device config.

Interim: these belong in protocol/ (see the report of issue 4). They reuse
protocol's field types so the move is a cut and paste.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from protocol.fields import (
    Cents,
    Code,
    Count,
    Flag,
    Identifier,
    Name,
    Positive,
    UtcDatetime,
    WireModel,
)

IdentifierHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""sha256 hex of a member identifier (QR code, card number): the raw value never leaves the hub."""

MAX_MEMBERS_PER_DELTA = 50_000


class CachedMember(WireModel):
    """What a kiosk needs to serve a member offline, and nothing more."""

    identifier_hash: IdentifierHash
    member_id: Identifier
    display_name: Name
    tier: Code
    balance_cents: Cents
    subsidy_cents: Cents = 0
    points: Count = 0
    offline_limit_cents: Cents


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


class DeviceConfig(WireModel):
    """Settings the hub pushes to one device; a higher version replaces a lower."""

    version: Positive
    heartbeat_interval_s: Annotated[int, Field(strict=True, ge=5, le=3600)] = 30
    order_prefix: Annotated[str, Field(pattern=r"^[A-Z]{1,2}$")] | None = None
    mode: Literal["diner", "kds", "pickup"] = "diner"
    offline_sales: Flag = True
    idle_reset_s: Annotated[int, Field(strict=True, ge=10, le=3600)] = 90
