"""Turn one inbound MQTT message into either an accepted envelope or a dead letter (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol import Direction, Envelope, ProtocolError
from protocol.codec import parse_with_digest, topic_info
from protocol.registry import Route

# A dead letter keeps at most this much of the message; size_bytes records the rest.
MAX_KEPT_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message as it came off the broker; ``mid`` is the MQTT packet id to ack."""

    topic: str
    raw: bytes
    mid: int = 0
    qos: int = 1


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message that parsed, validated and matched its topic; ``digest`` of it as received."""

    inbound: Inbound
    envelope: Envelope
    digest: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that can never be ingested, and why; the ids are known when they were readable."""

    inbound: Inbound
    reason: str
    detail: str
    site: str | None
    device: str | None
    message_id: str | None


def classify(inbound: Inbound) -> Accepted | Rejected:
    """Parse strictly with protocol and check the envelope against the topic it arrived on."""
    site = device = None
    try:
        info = topic_info(inbound.topic)
        site, device = info.site, info.device
        if info.direction is not Direction.UP or device is None:
            return Rejected(inbound, "invalid_topic", "not an uplink topic", site, device, None)
        envelope, digest = parse_with_digest(inbound.raw, topic=inbound.topic)
    except ProtocolError as err:
        return Rejected(inbound, str(err.reason), str(err)[:1000], site, device, err.message_id)
    if envelope.spec.route is not Route.UPLINK:
        return Rejected(
            inbound, "invalid_topic", f"{envelope.type!r} is not an uplink event",
            site, device, envelope.message_id,
        )
    return Accepted(inbound, envelope, digest)
