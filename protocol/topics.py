"""MQTT topic scheme v1: the only place in the code base that builds or parses topic strings.

::

    canteen/v1/site/{site}/device/{device}/up/{event_type}   uplink events (QoS 1)
    canteen/v1/site/{site}/device/{device}/down/{kind}       per-device downlinks
    canteen/v1/site/{site}/down/{kind}                       per-site downlinks (retained)
    canteen/v1/site/{site}/device/{device}/status            device status, last will (retained)
    canteen/v1/site/{site}/kitchen/{segment}[/{segment}...]  kitchen traffic on the site broker
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from protocol.errors import InvalidTopic

ROOT = "canteen/v1"
_ROOT_PARTS = tuple(ROOT.split("/"))

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
MAX_EVENT_TYPE_LEN = 64

_ID_RE = re.compile(ID_PATTERN)
_EVENT_TYPE_RE = re.compile(EVENT_TYPE_PATTERN)
_KIND_RE = re.compile(KIND_PATTERN)


class Direction(StrEnum):
    """Which way a topic (or a message type) travels."""

    UP = "up"
    DOWN = "down"
    STATUS = "status"
    KITCHEN = "kitchen"


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """What a topic says: site, device (None for site-wide topics), direction and kind.

    ``kind`` is the event type for uplinks, the downlink kind for downlinks,
    None for status, and the slash-joined segments for kitchen topics.
    """

    site: str
    device: str | None
    direction: Direction
    kind: str | None


def validate_id(value: object, what: str = "id") -> str:
    """Return ``value`` if it is a safe id segment ([A-Za-z0-9_.-], 1-64 chars), else raise."""
    if not isinstance(value, str) or _ID_RE.fullmatch(value) is None or value in (".", ".."):
        raise InvalidTopic(
            f"{what} must be 1-64 characters of A-Z a-z 0-9 _ . - (got {value!r})"
        )
    return value


def validate_event_type(value: object) -> str:
    """Return ``value`` if it is a dotted lowercase event type such as ``order.placed``."""
    if (
        not isinstance(value, str)
        or len(value) > MAX_EVENT_TYPE_LEN
        or _EVENT_TYPE_RE.fullmatch(value) is None
    ):
        raise InvalidTopic(f"event type must look like 'order.placed' (got {value!r})")
    return value


def validate_kind(value: object) -> str:
    """Return ``value`` if it is a lowercase downlink kind such as ``catalog``."""
    if not isinstance(value, str) or _KIND_RE.fullmatch(value) is None:
        raise InvalidTopic(f"downlink kind must look like 'catalog' (got {value!r})")
    return value


def _site_prefix(site: str) -> str:
    return f"{ROOT}/site/{validate_id(site, 'site')}"


def _device_prefix(site: str, device: str) -> str:
    return f"{_site_prefix(site)}/device/{validate_id(device, 'device')}"


def uplink_topic(site: str, device: str, event_type: str) -> str:
    """Topic a device publishes an event on, e.g. ``.../device/k1/up/order.placed``."""
    return f"{_device_prefix(site, device)}/up/{validate_event_type(event_type)}"


def device_downlink_topic(site: str, device: str, kind: str) -> str:
    """Topic for a downlink to one device (ack, config, members, command)."""
    return f"{_device_prefix(site, device)}/down/{validate_kind(kind)}"


def site_downlink_topic(site: str, kind: str) -> str:
    """Topic for a retained downlink to every device of a site (catalog, members)."""
    return f"{_site_prefix(site)}/down/{validate_kind(kind)}"


def status_topic(site: str, device: str) -> str:
    """Retained status topic of a device; also its MQTT last will."""
    return f"{_device_prefix(site, device)}/status"


def kitchen_topic(site: str, *segments: str) -> str:
    """Topic for kitchen traffic on the site broker, e.g. ``kitchen_topic(s, "tickets", "wok")``."""
    if not segments:
        raise InvalidTopic("a kitchen topic needs at least one segment after 'kitchen'")
    parts = [validate_id(seg, "kitchen segment") for seg in segments]
    return f"{_site_prefix(site)}/kitchen/" + "/".join(parts)


def portions_filter(site: str) -> str:
    """Filter for a site's portion counts (prepared per dish, sold per device; schema 1.1)."""
    return f"{_site_prefix(site)}/kitchen/portions/#"


def _site_or_any(site: str | None) -> str:
    return "+" if site is None else validate_id(site, "site")


def uplink_filter(site: str | None = None, *, share_group: str | None = None) -> str:
    """Filter for every device uplink (of one site, or all); shared when ``share_group`` is set.

    ``uplink_filter(share_group="ingest")`` is the hub ingest subscription
    ``$share/ingest/canteen/v1/site/+/device/+/up/#``.
    """
    topic = f"{ROOT}/site/{_site_or_any(site)}/device/+/up/#"
    if share_group is None:
        return topic
    return f"$share/{validate_id(share_group, 'share group')}/{topic}"


def status_filter(site: str | None = None) -> str:
    """Filter for the retained status of every device (of one site, or all)."""
    return f"{ROOT}/site/{_site_or_any(site)}/device/+/status"


def device_downlink_filters(site: str, device: str) -> tuple[str, str]:
    """The two filters a device subscribes to: its own downlinks and its site's."""
    return (f"{_device_prefix(site, device)}/down/#", f"{_site_prefix(site)}/down/#")


def kitchen_filter(site: str) -> str:
    """Filter for all kitchen traffic of a site."""
    return f"{_site_prefix(site)}/kitchen/#"


def parse_topic(topic: object) -> TopicInfo:
    """Split a concrete topic into a TopicInfo; raise InvalidTopic for any other shape."""
    if not isinstance(topic, str):
        raise InvalidTopic(f"topic must be a string (got {type(topic).__name__})")
    parts = topic.split("/")
    n_root = len(_ROOT_PARTS)
    if tuple(parts[:n_root]) != _ROOT_PARTS or len(parts) < n_root + 3 or parts[n_root] != "site":
        raise InvalidTopic(f"topic does not start with '{ROOT}/site/<site>/': {topic!r}")
    site = validate_id(parts[n_root + 1], "site")
    rest = parts[n_root + 2 :]
    head = rest[0]
    if head == "down" and len(rest) == 2:
        return TopicInfo(site, None, Direction.DOWN, validate_kind(rest[1]))
    if head == "kitchen" and len(rest) >= 2:
        segments = [validate_id(seg, "kitchen segment") for seg in rest[1:]]
        return TopicInfo(site, None, Direction.KITCHEN, "/".join(segments))
    if head == "device" and len(rest) >= 3:
        device = validate_id(rest[1], "device")
        tail = rest[2:]
        if tail == ["status"]:
            return TopicInfo(site, device, Direction.STATUS, None)
        if len(tail) == 2 and tail[0] == "up":
            return TopicInfo(site, device, Direction.UP, validate_event_type(tail[1]))
        if len(tail) == 2 and tail[0] == "down":
            return TopicInfo(site, device, Direction.DOWN, validate_kind(tail[1]))
    raise InvalidTopic(f"unknown topic shape: {topic!r}")
