"""Identify step: who is ordering. QR member code, card, or guest (face-ID joins later)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from kiosk.services.members import MemberDirectory
from protocol.member_cache import CachedMember

Method = Literal["qr", "card", "guest", "face"]


@dataclass(frozen=True)
class Identity:
    """The outcome of identifying: a cached member, or None for a guest."""

    method: Method
    member: CachedMember | None


class Identifier(Protocol):
    """One way to identify a diner; raises a KioskError (unknown, expired, blocked...)."""

    method: Method

    def identify(self, raw: str) -> Identity:
        """Identify from what the device delivered (a code, a card number; ignored for guest)."""
        ...


class QrIdentifier:
    """A signed rotating member code, verified offline with the configured public keys."""

    method: Method = "qr"

    def __init__(self, members: MemberDirectory) -> None:
        """Resolve through the member directory."""
        self.members = members

    def identify(self, raw: str) -> Identity:
        """Verify the code and find the member in the cache."""
        return Identity("qr", self.members.by_member_code(raw))


class CardIdentifier:
    """A card number from the reader, hashed with the site key, found in the member cache."""

    method: Method = "card"

    def __init__(self, members: MemberDirectory) -> None:
        """Resolve through the member directory."""
        self.members = members

    def identify(self, raw: str) -> Identity:
        """Find the card's member."""
        return Identity("card", self.members.by_card(raw))


class GuestIdentifier:
    """No identification: list prices, pay at the counter."""

    method: Method = "guest"

    def identify(self, raw: str = "") -> Identity:
        """Always a guest."""
        return Identity("guest", None)
