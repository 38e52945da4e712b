"""Every message type of the contract: its payload model, route, QoS, retain flag and size limit.

To add a type: write its payload model under ``protocol/payloads/`` and add one
``MessageSpec`` line to ``_SPECS`` below (and an example to docs/protocol.md).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from protocol.errors import UnknownMessageType
from protocol.fields import WireModel
from protocol.member_cache import MemberCacheDelta
from protocol.payloads.ack import EventAck
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.config import DeviceConfig
from protocol.payloads.device import DeviceHeartbeat, DeviceStatus
from protocol.payloads.feedback import FeedbackGiven
from protocol.payloads.kitchen import OrderStateChanged
from protocol.payloads.order import OrderPlaced
from protocol.topics import (
    Direction,
    device_downlink_topic,
    site_downlink_topic,
    status_topic,
    uplink_topic,
    validate_event_type,
    validate_kind,
)

KIB = 1024
MIB = 1024 * KIB


class Route(StrEnum):
    """Which topic family a type travels on."""

    UPLINK = "uplink"  # .../device/{device}/up/{type}
    DEVICE_DOWNLINK = "device_downlink"  # .../device/{device}/down/{kind}
    SITE_DOWNLINK = "site_downlink"  # .../site/{site}/down/{kind}
    STATUS = "status"  # .../device/{device}/status


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """How one message type travels and how large it may be (whole encoded message)."""

    type: str
    model: builtins.type[WireModel]
    route: Route
    max_bytes: int
    qos: int = 1
    retain: bool = False
    kind: str | None = None  # topic kind of a downlink (ack, catalog, ...)

    def __post_init__(self) -> None:
        validate_event_type(self.type)
        if self.route in (Route.DEVICE_DOWNLINK, Route.SITE_DOWNLINK):
            validate_kind(self.kind)
        elif self.kind is not None:
            raise ValueError(f"{self.type}: only downlinks have a kind")

    @property
    def direction(self) -> Direction:
        """UP for uplinks and status, DOWN for downlinks."""
        if self.route in (Route.DEVICE_DOWNLINK, Route.SITE_DOWNLINK):
            return Direction.DOWN
        return Direction.UP

    def topic(self, site: str, device: str | None = None) -> str:
        """The topic this type is published on; ``device`` is the sender (uplink/status) or
        the target (device downlink), unused for site downlinks."""
        if self.route is Route.SITE_DOWNLINK:
            return site_downlink_topic(site, self.kind or "")
        if device is None:
            raise ValueError(f"{self.type} is published per device: give device=")
        if self.route is Route.UPLINK:
            return uplink_topic(site, device, self.type)
        if self.route is Route.STATUS:
            return status_topic(site, device)
        return device_downlink_topic(site, device, self.kind or "")


_SPECS = (
    MessageSpec("order.placed", OrderPlaced, Route.UPLINK, 64 * KIB),
    MessageSpec("feedback.given", FeedbackGiven, Route.UPLINK, 64 * KIB),
    MessageSpec("order.state", OrderStateChanged, Route.UPLINK, 4 * KIB),
    MessageSpec("device.heartbeat", DeviceHeartbeat, Route.UPLINK, 64 * KIB),
    MessageSpec("device.status", DeviceStatus, Route.STATUS, 4 * KIB, retain=True),
    MessageSpec("event.ack", EventAck, Route.DEVICE_DOWNLINK, 256 * KIB, kind="ack"),
    MessageSpec(
        "catalog.snapshot", CatalogSnapshot, Route.SITE_DOWNLINK, 2 * MIB, retain=True,
        kind="catalog",
    ),
    # A stream of deltas, not retained: a device with a persistent session gets every one,
    # and a device that finds a gap keeps its cache and waits for a full snapshot.
    MessageSpec("member.delta", MemberCacheDelta, Route.SITE_DOWNLINK, 16 * MIB, kind="members"),
    MessageSpec(
        "device.config", DeviceConfig, Route.DEVICE_DOWNLINK, 64 * KIB, retain=True, kind="config"
    ),
)

REGISTRY: Mapping[str, MessageSpec] = MappingProxyType({s.type: s for s in _SPECS})
"""Message type -> spec, read-only."""

MAX_MESSAGE_BYTES = max(s.max_bytes for s in _SPECS)
"""No message of any type may be larger; checked before JSON is even decoded."""


def spec_for(message_type: str) -> MessageSpec:
    """The spec of a registered type; UnknownMessageType otherwise."""
    spec = REGISTRY.get(message_type)
    if spec is None:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownMessageType(
            f"unknown message type {message_type!r} (known: {known})", message_type=message_type
        )
    return spec


def spec_for_model(model: type[WireModel]) -> MessageSpec:
    """The spec whose payload model is ``model``."""
    for spec in _SPECS:
        if spec.model is model:
            return spec
    raise UnknownMessageType(f"{model.__name__} is not the payload of any registered type")
