"""Typed errors of the wire contract; each carries a stable machine-readable ``reason``."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Stable reason codes; the hub stores them in its dead-letter table."""

    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    BAD_JSON = "bad_json"
    TOO_DEEP = "too_deep"
    DUPLICATE_KEY = "duplicate_key"
    NOT_AN_OBJECT = "not_an_object"
    BAD_VERSION = "bad_version"
    UNSUPPORTED_MAJOR = "unsupported_major"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_ENVELOPE = "invalid_envelope"
    INVALID_PAYLOAD = "invalid_payload"
    INVALID_TOPIC = "invalid_topic"
    TOPIC_MISMATCH = "topic_mismatch"


class ProtocolError(ValueError):
    """Base of every error this package raises for bad input.

    ``message_id`` and ``message_type`` are filled in when the envelope was
    readable that far, so a receiver can still answer "rejected" for it.
    """

    default_reason: Reason = Reason.BAD_JSON

    def __init__(
        self,
        message: str,
        *,
        reason: Reason | None = None,
        details: tuple[str, ...] = (),
        message_id: str | None = None,
        message_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason: Reason = reason or self.default_reason
        self.details = details
        self.message_id = message_id
        self.message_type = message_type

    def __str__(self) -> str:
        text = f"[{self.reason}] {self.args[0]}"
        if self.details:
            text += ": " + "; ".join(self.details)
        return text


class MalformedMessage(ProtocolError):
    """The bytes are not a well-formed envelope: not UTF-8, not JSON, too deep, not an object."""

    default_reason = Reason.BAD_JSON


class MessageTooLarge(ProtocolError):
    """The message is over the size limit of its type (or of any type)."""

    default_reason = Reason.TOO_LARGE


class UnsupportedVersion(ProtocolError):
    """The schema version is missing, badly written, or of a major this code does not speak."""

    default_reason = Reason.UNSUPPORTED_MAJOR


class UnknownMessageType(ProtocolError):
    """The ``type`` is not in the registry."""

    default_reason = Reason.UNKNOWN_TYPE


class InvalidEnvelope(ProtocolError):
    """An envelope field (id, site, device, sent_at, ...) is missing or invalid."""

    default_reason = Reason.INVALID_ENVELOPE


class InvalidPayload(ProtocolError):
    """The payload does not validate against the model of its type."""

    default_reason = Reason.INVALID_PAYLOAD


class InvalidTopic(ProtocolError):
    """A topic string or id segment has an unknown shape or forbidden characters."""

    default_reason = Reason.INVALID_TOPIC


class TopicMismatch(ProtocolError):
    """The envelope disagrees with the topic it arrived on (site, device, type or direction)."""

    default_reason = Reason.TOPIC_MISMATCH
