"""canteen-edge wire contract v1: topics, envelope, typed payloads, strict parsing.

Imports nothing of the project. Typical use::

    from protocol import make_envelope, encode, parse, uplink_filter
    env = make_envelope("order.placed", order, site="s1", device="k1")
    mqtt.publish(env.topic(), encode(env), qos=env.spec.qos, retain=env.spec.retain)
    env = parse(msg.payload, topic=msg.topic)   # raises only ProtocolError
"""

from protocol.codec import MAX_DEPTH, check_topic, content_digest, encode, parse
from protocol.envelope import SCHEMA_VERSION, Envelope, make_envelope
from protocol.errors import (
    InvalidEnvelope,
    InvalidPayload,
    InvalidTopic,
    MalformedMessage,
    MessageTooLarge,
    ProtocolError,
    Reason,
    TopicMismatch,
    UnknownMessageType,
    UnsupportedVersion,
)
from protocol.ids import is_uuid7, new_message_id, new_order_id, uuid7_time
from protocol.member_cache import CachedMember, MemberCacheDelta
from protocol.payloads.ack import Ack, EventAck
from protocol.payloads.catalog import (
    BuildSetMeal,
    CatalogSnapshot,
    Dish,
    FixedSetMeal,
    MealPeriod,
    Menu,
    MenuItem,
    SetMealSlot,
)
from protocol.payloads.config import DeviceConfig
from protocol.payloads.device import DeviceHeartbeat, DeviceStatus
from protocol.payloads.feedback import FeedbackGiven
from protocol.payloads.order import Modifier, OrderLine, OrderPlaced, Payment
from protocol.registry import MAX_MESSAGE_BYTES, REGISTRY, MessageSpec, Route, spec_for
from protocol.topics import (
    ROOT,
    Direction,
    TopicInfo,
    device_downlink_filters,
    device_downlink_topic,
    kitchen_filter,
    kitchen_topic,
    parse_topic,
    site_downlink_topic,
    status_filter,
    status_topic,
    uplink_filter,
    uplink_topic,
)
from protocol.vocab import FEEDBACK_TAGS, Label

__all__ = [
    "FEEDBACK_TAGS",
    "MAX_DEPTH",
    "MAX_MESSAGE_BYTES",
    "REGISTRY",
    "ROOT",
    "SCHEMA_VERSION",
    "Ack",
    "BuildSetMeal",
    "CachedMember",
    "CatalogSnapshot",
    "DeviceConfig",
    "DeviceHeartbeat",
    "DeviceStatus",
    "Direction",
    "Dish",
    "Envelope",
    "EventAck",
    "FeedbackGiven",
    "FixedSetMeal",
    "InvalidEnvelope",
    "InvalidPayload",
    "InvalidTopic",
    "Label",
    "MalformedMessage",
    "MealPeriod",
    "MemberCacheDelta",
    "Menu",
    "MenuItem",
    "MessageSpec",
    "MessageTooLarge",
    "Modifier",
    "OrderLine",
    "OrderPlaced",
    "Payment",
    "ProtocolError",
    "Reason",
    "Route",
    "SetMealSlot",
    "TopicInfo",
    "TopicMismatch",
    "UnknownMessageType",
    "UnsupportedVersion",
    "check_topic",
    "content_digest",
    "device_downlink_filters",
    "device_downlink_topic",
    "encode",
    "is_uuid7",
    "kitchen_filter",
    "kitchen_topic",
    "make_envelope",
    "new_message_id",
    "new_order_id",
    "parse",
    "parse_topic",
    "site_downlink_topic",
    "spec_for",
    "status_filter",
    "status_topic",
    "uplink_filter",
    "uplink_topic",
    "uuid7_time",
]
