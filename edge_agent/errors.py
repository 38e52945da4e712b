"""Typed errors the edge agent raises across its boundaries."""

from __future__ import annotations


class EdgeError(Exception):
    """Base of every error raised by edge_agent."""


class StoreError(EdgeError):
    """The device store could not do what was asked; nothing was written."""


class InvalidOrderError(StoreError):
    """An order or feedback handed to the store was refused as malformed."""


class BookingAlreadyPickedUp(InvalidOrderError):
    """An order for a pre-booking this device already handed over (nothing written)."""

    def __init__(self, booking_id: str, order_no: str) -> None:
        super().__init__(f"booking {booking_id} was already picked up with order {order_no}")
        self.booking_id = booking_id
        self.order_no = order_no


class DownlinkRefused(EdgeError):
    """A downlink (catalog, member delta, config) was refused; the last good one is kept."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind} refused: {reason}")
        self.kind = kind
        self.reason = reason


class ConfigError(EdgeError):
    """The agent's configuration file is missing or invalid."""
