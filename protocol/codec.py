r"""Bytes <-> Envelope: canonical encoding, strict parsing, and the content digest for dedup.

``parse`` raises only ProtocolError subclasses, each with a ``reason`` code.

Canonical form (what ``encode`` writes, and what the digest hashes): compact UTF-8 JSON,
object keys sorted by code point, no whitespace, non-ASCII characters as themselves,
only the escapes JSON requires (``\"``, ``\\``, and control characters as ``\n``-style
or ``\u00XX``), integers only (the wire has no floats). orjson with OPT_SORT_KEYS writes
exactly these bytes, as the standard library's ``json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` does (tests/protocol/test_canonical.py keeps
them equal); the standard library is the fallback for what orjson refuses.

Fast path (issue 20): bytes that are already canonical -- everything ``encode`` wrote --
are decoded by orjson, and checked by re-encoding them: equal bytes prove there was no
repeated key (a repeat would be dropped) and no non-canonical spelling; one walk of the
decoded containers checks the depth. Anything else (whitespace, another key order, an
error of any kind) takes the strict decoder, which gives each typed error its reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from protocol.envelope import (
    SCHEMA_MAJOR,
    SCHEMA_MINOR,
    Envelope,
    EnvelopeHeader,
    error_details,
    kitchen_segments,
)
from protocol.errors import (
    InvalidEnvelope,
    InvalidPayload,
    MalformedMessage,
    MessageTooLarge,
    ProtocolError,
    Reason,
    TopicMismatch,
    UnsupportedVersion,
)
from protocol.fields import IGNORE_UNKNOWN_FIELDS
from protocol.ids import UUID7_PATTERN, is_uuid7
from protocol.registry import MAX_MESSAGE_BYTES, Route, spec_for
from protocol.topics import Direction, TopicInfo, parse_topic

MAX_DEPTH = 16
"""Deepest nesting of JSON objects/arrays accepted; real messages need about 6."""

_VERSION_RE = re.compile(r"(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})")


class _DuplicateKey(Exception):
    pass


def _canonical_json(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError: an integer over 64 bits, a lone surrogate
        return _canonical_json_stdlib(obj)


def _canonical_json_stdlib(obj: Any) -> bytes:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def encode(envelope: Envelope) -> bytes:
    """Canonical bytes of an envelope: compact UTF-8 JSON with sorted keys, deterministic.

    Raises MessageTooLarge when over the type's limit, so a device never
    queues a message the hub would refuse.
    """
    raw = _canonical_json(envelope.model_dump(mode="json"))
    limit = envelope.spec.max_bytes
    if len(raw) > limit:
        raise MessageTooLarge(
            f"{envelope.type!r} message is {len(raw)} bytes; the limit is {limit}",
            message_id=envelope.message_id,
            message_type=envelope.type,
        )
    return raw


def content_digest(envelope: Envelope) -> str:
    """SHA-256 (hex) of the canonical type, site, device and payload; sent_at and id excluded.

    Same message id and same digest: a re-send (duplicate). Same id, other
    digest: a conflict. The payload is the validated model's JSON form; a receiver uses
    ``parse_with_digest``, which hashes the payload as received instead (the same bytes
    for every message ``encode`` wrote, without dumping the model again).
    """
    return _digest(envelope.type, envelope.site, envelope.device,
                   envelope.payload.model_dump(mode="json"))


def _digest(type_: str, site: str, device: str, payload: Any) -> str:
    body = {"type": type_, "site": site, "device": device, "payload": payload}
    return hashlib.sha256(_canonical_json(body)).hexdigest()


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# A JSON string in text that already decoded (so it is well formed), and a bracket.
_JSON_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET_RE = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> bool:
    """Whether valid JSON ``text`` nests objects/arrays deeper than MAX_DEPTH.

    Counts brackets outside strings (C-speed regexes) instead of walking the decoded
    tree: same answer, the top-level container being depth 1.
    """
    bare = _JSON_STRING_RE.sub("", text)
    if bare.count("{") + bare.count("[") <= MAX_DEPTH:
        return False
    depth = 0
    for bracket in _BRACKET_RE.findall(bare):
        if bracket in "{[":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _depth(data: dict[str, Any] | list[Any]) -> int:
    """How deeply the containers of decoded JSON nest (the top-level one is depth 1).

    Stops counting past MAX_DEPTH: the answer is then only "too deep".
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if depth > MAX_DEPTH:
                break
        for child in node.values() if type(node) is dict else node:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return deepest


def _decode_canonical(raw: bytes) -> dict[str, Any] | None:
    """The fast path (module docstring): the object, or None to let the strict path decide."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or orjson.dumps(data, option=orjson.OPT_SORT_KEYS) != raw:
        return None
    if _depth(data) > MAX_DEPTH:
        return None
    return data


def _decode_json(raw: bytes) -> dict[str, Any]:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MalformedMessage(f"expected bytes, got {type(raw).__name__}")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(
            f"message is {len(raw)} bytes; no type allows over {MAX_MESSAGE_BYTES}"
        )
    if type(raw) is not bytes:
        raw = bytes(raw)
    fast = _decode_canonical(raw)
    if fast is not None:
        return fast
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedMessage(f"not UTF-8: {err}", reason=Reason.NOT_UTF8) from err
    try:
        data = json.loads(
            text, object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant
        )
    except RecursionError as err:
        raise MalformedMessage("JSON nested too deeply", reason=Reason.TOO_DEEP) from err
    except _DuplicateKey as err:
        raise MalformedMessage(
            f"JSON object repeats the key {err.args[0]!r}", reason=Reason.DUPLICATE_KEY
        ) from err
    except ValueError as err:  # JSONDecodeError, NaN/Infinity, integers too long to read
        raise MalformedMessage(f"not valid JSON: {err}", reason=Reason.BAD_JSON) from err
    if not isinstance(data, dict):
        raise MalformedMessage(
            f"a message is a JSON object, got {type(data).__name__}", reason=Reason.NOT_AN_OBJECT
        )
    if _too_deep(text):
        raise MalformedMessage(f"JSON nested deeper than {MAX_DEPTH}", reason=Reason.TOO_DEEP,
                               message_id=_top_level_id(data))
    return data


def _top_level_id(data: dict[str, Any]) -> str | None:
    message_id = data.get("message_id")
    return message_id if is_uuid7(message_id) else None


# "message_id": "<uuid7>" anywhere in bytes that did not decode as JSON.
_ID_RE = re.compile(rb'"message_id"\s*:\s*"(' + UUID7_PATTERN.strip("^$").encode() + rb')"')


def salvage_message_id(raw: bytes) -> str | None:
    """The message id of bytes that are not a readable envelope, when it is unambiguous.

    For a receiver that must answer "rejected" to what it cannot parse (a truncated or
    too deeply nested message): every ``"message_id": "<uuid7>"`` pair in the bytes is
    read, and the id is returned only when they all name the same one. Messages over
    MAX_MESSAGE_BYTES are not searched. A well-formed JSON object is read by ``parse``
    itself (its top-level ``message_id`` only), not with this.
    """
    if not isinstance(raw, bytes | bytearray | memoryview) or len(raw) > MAX_MESSAGE_BYTES:
        return None
    found = {m.group(1) for m in _ID_RE.finditer(bytes(raw))}
    if len(found) != 1:
        return None
    message_id = found.pop().decode("ascii")
    return message_id if is_uuid7(message_id) else None


def _read_version(data: dict[str, Any]) -> tuple[int, int]:
    version = data.get("schema_version")
    match = _VERSION_RE.fullmatch(version) if isinstance(version, str) else None
    if match is None:
        raise UnsupportedVersion(
            f"schema_version must be 'major.minor' such as '1.0', got {version!r}",
            reason=Reason.BAD_VERSION,
        )
    major, minor = int(match.group(1)), int(match.group(2))
    if major != SCHEMA_MAJOR:
        raise UnsupportedVersion(
            f"schema major version {major} is not supported (this code speaks {SCHEMA_MAJOR}.x)",
            reason=Reason.UNSUPPORTED_MAJOR,
        )
    return major, minor


def parse(raw: bytes, *, topic: str | None = None) -> Envelope:
    """Parse and validate one message; with ``topic``, also check it arrived where it belongs.

    A newer minor version of major 1 is accepted and its unknown fields are
    ignored; within the same (or an older) minor, unknown fields are refused.
    Raises only ProtocolError subclasses.
    """
    return _parse(raw, topic)[0]


def parse_with_digest(raw: bytes, *, topic: str | None = None) -> tuple[Envelope, str]:
    """``parse``, plus the content digest of the message as received (for idempotency).

    The digest hashes the canonical form of type, site, device and the payload as it
    arrived (decoded, before validation), so it costs no second dump of the model. For
    every message ``encode`` wrote it equals ``content_digest`` of the parsed envelope;
    for one that omitted a defaulted field, or carried fields of a newer minor version,
    it may differ, so a receiver that finds another digest stored for the same id should
    compare ``content_digest`` too before calling it a conflict.
    """
    envelope, data = _parse(raw, topic)
    return envelope, _digest(envelope.type, envelope.site, envelope.device, data["payload"])


def _parse(raw: bytes, topic: str | None) -> tuple[Envelope, dict[str, Any]]:
    try:
        data = _decode_json(raw)
    except MalformedMessage as err:
        if err.message_id is None:
            # Unreadable JSON may still name its id; with it the sender is told
            # "rejected" and stops re-sending bytes that can never be read.
            err.message_id = salvage_message_id(raw)
        raise
    # Read before the version, so a message of an unknown version is still answered.
    message_id = _top_level_id(data)
    try:
        _, minor = _read_version(data)
    except UnsupportedVersion as err:
        err.message_id = message_id
        raise
    message_type = data.get("type")
    if not isinstance(message_type, str):
        raise InvalidEnvelope(
            "the envelope has no string 'type'", message_id=message_id
        )
    try:
        spec = spec_for(message_type)
    except ProtocolError as err:
        err.message_id = message_id
        raise
    if len(raw) > spec.max_bytes:
        raise MessageTooLarge(
            f"{message_type!r} message is {len(raw)} bytes; the limit is {spec.max_bytes}",
            message_id=message_id,
            message_type=message_type,
        )
    context = {IGNORE_UNKNOWN_FIELDS: minor > SCHEMA_MINOR}
    header_data = {k: v for k, v in data.items() if k != "payload"}
    try:
        header = EnvelopeHeader.model_validate(header_data, context=context)
    except ValidationError as err:
        raise InvalidEnvelope(
            f"invalid envelope of {message_type!r}",
            details=error_details(err),
            message_id=message_id,
            message_type=message_type,
        ) from err
    if "payload" not in data:
        raise InvalidPayload(
            f"{message_type!r} message has no payload",
            message_id=message_id,
            message_type=message_type,
        )
    try:
        payload = spec.model.model_validate(data["payload"], context=context)
    except ValidationError as err:
        raise InvalidPayload(
            f"invalid {message_type!r} payload",
            details=error_details(err),
            message_id=message_id,
            message_type=message_type,
        ) from err
    envelope = Envelope.model_construct(**dict(header), payload=payload)
    if topic is not None:
        check_topic(envelope, topic)
    return envelope, data


@lru_cache(maxsize=4096)
def _cached_topic(topic: str) -> TopicInfo:
    return parse_topic(topic)


def topic_info(topic: object) -> TopicInfo:
    """``parse_topic``, remembered per topic string (a fleet reuses a few hundred topics).

    TopicInfo is frozen; a topic that raises InvalidTopic is not remembered.
    """
    if isinstance(topic, str):
        return _cached_topic(topic)
    return parse_topic(topic)


def check_topic(envelope: Envelope, topic: str) -> None:
    """Raise TopicMismatch unless ``topic`` is where ``envelope`` may be published.

    Uplinks and status must come from the envelope's own site and device (the
    broker ACL ties the topic to the authenticated device); downlinks must be
    on their type's kind for the envelope's site.
    """
    info = topic_info(topic)
    spec = envelope.spec
    problems = []
    expected: tuple[Direction, str | None, str | None]
    if info.site != envelope.site:
        problems.append(f"site {envelope.site!r} published on site {info.site!r}")
    if spec.route is Route.UPLINK:
        expected = (Direction.UP, envelope.device, envelope.type)
    elif spec.route is Route.STATUS:
        expected = (Direction.STATUS, envelope.device, None)
    elif spec.route is Route.DEVICE_DOWNLINK:
        expected = (Direction.DOWN, info.device or "(none)", spec.kind)
    elif spec.route is Route.KITCHEN:
        expected = (Direction.KITCHEN, None, "/".join(kitchen_segments(envelope)))
    else:
        expected = (Direction.DOWN, None, spec.kind)
    if (info.direction, info.device, info.kind) != expected:
        problems.append(
            f"a {envelope.type!r} from device {envelope.device!r} does not belong on it"
        )
    if problems:
        raise TopicMismatch(
            f"message does not match topic {topic!r}",
            details=tuple(problems),
            message_id=envelope.message_id,
            message_type=envelope.type,
        )
