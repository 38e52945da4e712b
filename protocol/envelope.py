"""The envelope every message travels in, and ``make_envelope`` to build one safely."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Self, TypeVar

from pydantic import Field, SerializeAsAny, ValidationError, model_validator

from protocol.errors import InvalidEnvelope, InvalidPayload
from protocol.fields import Identifier, UtcDatetime, Uuid7, WireModel
from protocol.ids import new_message_id
from protocol.registry import MessageSpec, Route, spec_for
from protocol.topics import EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LEN, kitchen_topic

SCHEMA_MAJOR = 1
SCHEMA_MINOR = 1  # 1.1: additive fields (per-dish feedback, member messages, ...)
SCHEMA_VERSION = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"
"""The version this code writes; it reads any ``1.x``."""

VERSION_PATTERN = r"^(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})$"

P = TypeVar("P", bound=WireModel)


class EnvelopeHeader(WireModel):
    """The envelope fields around the payload.

    ``device`` is the sender: the device for uplinks and status, the hub's id
    for downlinks (a device downlink's target is in its topic).
    """

    message_id: Uuid7
    type: Annotated[str, Field(pattern=EVENT_TYPE_PATTERN, max_length=MAX_EVENT_TYPE_LEN)]
    schema_version: Annotated[str, Field(pattern=VERSION_PATTERN)] = SCHEMA_VERSION
    site: Identifier
    device: Identifier
    sent_at: UtcDatetime


class Envelope(EnvelopeHeader):
    """A complete message: header plus the typed payload registered for ``type``."""

    payload: SerializeAsAny[WireModel]

    @model_validator(mode="after")
    def _payload_matches_type(self) -> Self:
        model = spec_for(self.type).model
        if not isinstance(self.payload, model):
            raise ValueError(
                f"payload of {self.type!r} must be {model.__name__}, "
                f"got {self.payload.__class__.__name__}"
            )
        return self

    @property
    def spec(self) -> MessageSpec:
        """The registry entry of this message's type."""
        return spec_for(self.type)

    def payload_as(self, model: builtins.type[P]) -> P:
        """The payload typed as ``model``; InvalidPayload if it is another type's payload."""
        if not isinstance(self.payload, model):
            raise InvalidPayload(
                f"{self.type!r} carries {self.payload.__class__.__name__}, not {model.__name__}",
                message_id=self.message_id,
                message_type=self.type,
            )
        return self.payload

    def topic(self, to_device: str | None = None) -> str:
        """The topic to publish this message on; device downlinks need ``to_device``."""
        spec = self.spec
        if spec.route is Route.KITCHEN:
            return kitchen_topic(self.site, *kitchen_segments(self))
        if spec.route is Route.DEVICE_DOWNLINK:
            if to_device is None:
                raise ValueError(f"{self.type} goes to one device: give to_device=")
            return spec.topic(self.site, to_device)
        return spec.topic(self.site, self.device)


def kitchen_segments(envelope: EnvelopeHeader | Envelope) -> tuple[str, ...]:
    """The kitchen-topic segments a KITCHEN-route message's payload names for its sender."""
    payload = getattr(envelope, "payload", None)
    segments = getattr(payload, "kitchen_segments", None)
    if segments is None:
        raise ValueError(f"{envelope.type} names no kitchen topic")
    return tuple(segments(envelope.device))


def error_details(err: ValidationError, limit: int = 10) -> tuple[str, ...]:
    """Short ``path: message`` lines for the first ``limit`` errors of a ValidationError."""
    lines = []
    for item in err.errors(include_url=False)[:limit]:
        path = ".".join(str(part) for part in item["loc"]) or "(root)"
        lines.append(f"{path}: {item['msg']}")
    return tuple(lines)


def make_envelope(
    type: str,
    payload: WireModel | Mapping[str, Any],
    *,
    site: str,
    device: str,
    message_id: str | None = None,
    sent_at: datetime | None = None,
) -> Envelope:
    """Build a validated envelope of the current schema version.

    ``payload`` is the type's model or a mapping validated into it. Raises
    UnknownMessageType, InvalidPayload or InvalidEnvelope; never builds a
    half-valid message.
    """
    spec = spec_for(type)
    if isinstance(payload, WireModel):
        if not isinstance(payload, spec.model):
            raise InvalidPayload(
                f"payload of {type!r} must be {spec.model.__name__}, "
                f"got {payload.__class__.__name__}",
                message_id=message_id,
                message_type=type,
            )
        body: WireModel = payload
    else:
        try:
            body = spec.model.model_validate(payload)
        except ValidationError as err:
            raise InvalidPayload(
                f"invalid {type!r} payload",
                details=error_details(err),
                message_id=message_id,
                message_type=type,
            ) from err
    try:
        return Envelope(
            message_id=message_id if message_id is not None else new_message_id(),
            type=type,
            schema_version=SCHEMA_VERSION,
            site=site,
            device=device,
            sent_at=sent_at if sent_at is not None else datetime.now(UTC),
            payload=body,
        )
    except ValidationError as err:
        raise InvalidEnvelope(
            f"invalid envelope for {type!r}",
            details=error_details(err),
            message_id=message_id,
            message_type=type,
        ) from err

