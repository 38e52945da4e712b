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
from protocol.face import FaceEnrolled
from protocol.fields import WireModel
from protocol.member_cache import MemberCacheDelta
from protocol.payloads.ack import EventAck
from protocol.payloads.bookings import BookingsSnapshot, PortionsRecorded
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.command import CommandResult, DeviceCommand
from protocol.payloads.config import DeviceConfig
from protocol.payloads.device import DeviceHeartbeat, DeviceStatus
from protocol.payloads.feedback import FeedbackGiven
from protocol.payloads.kitchen import OrderStateChanged
from protocol.payloads.model import RecommenderRelease
from protocol.payloads.order import OrderPlaced
from protocol.payloads.portions import PortionsPrepared, PortionsSold
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
    # .../site/{site}/kitchen/{segments}: site-broker traffic whose payload names its
    # segments (``kitchen_segments``), e.g. the portion counts (1.1).
    KITCHEN = "kitchen"


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
        if self.route is Route.KITCHEN:
            raise ValueError(f"{self.type} is published where its payload says: "
                             "use Envelope.topic()")
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
    # 1.1: portion counts kiosk to kiosk on the site broker (protocol.payloads.portions).
    MessageSpec("portions.prepared", PortionsPrepared, Route.KITCHEN, 4 * KIB, retain=True),
    MessageSpec("portions.sold", PortionsSold, Route.KITCHEN, 512 * KIB, retain=True),
    # Schema 1.1, fleet (issue 16). Never retained: a command expires, it is not state; the
    # result goes through the outbox (uploaded logs are capped at 32 KiB, see command.py).
    MessageSpec("device.command", DeviceCommand, Route.DEVICE_DOWNLINK, 8 * KIB, kind="command"),
    MessageSpec("device.command_result", CommandResult, Route.UPLINK, 48 * KIB),
    # Schema 1.1, recommendations (issue 15): a model version per device, retained (the
    # fleet's staged rollouts choose which device gets which); the file rides base64.
    MessageSpec(
        "model.recommender", RecommenderRelease, Route.DEVICE_DOWNLINK, 24 * MIB, retain=True,
        kind="model",
    ),
    # Schema 1.1, face-ID (issue 18): a sealed template and the consent it was given under.
    MessageSpec("face.enrolled", FaceEnrolled, Route.UPLINK, 8 * KIB),
    # Schema 1.1, supply (issue 17): the day's meal pre-bookings of a site, retained and
    # replaced by version like the catalog, so a kiosk hands a booking over offline.
    MessageSpec(
        "bookings.snapshot", BookingsSnapshot, Route.SITE_DOWNLINK, 4 * MIB, retain=True,
        kind="bookings",
    ),
    # ... and what a kitchen display recorded as cooked and left over, through the outbox.
    MessageSpec("portions.recorded", PortionsRecorded, Route.UPLINK, 64 * KIB),
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
