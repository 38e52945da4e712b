"""``parse`` refuses every kind of bad message with a typed error and a reason code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from protocol import (
    MAX_MESSAGE_BYTES,
    InvalidEnvelope,
    InvalidPayload,
    MalformedMessage,
    MessageTooLarge,
    ProtocolError,
    Reason,
    UnknownMessageType,
    UnsupportedVersion,
    parse,
)
from tests.protocol.samples import MESSAGE_ID, envelope_dict, raw


def refused(data: bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse(data)
    return info.value


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", Reason.BAD_JSON),
        (b"{", Reason.BAD_JSON),
        (b"{'single': 'quotes'}", Reason.BAD_JSON),
        (b'{"a": NaN}', Reason.BAD_JSON),
        (b'{"a": Infinity}', Reason.BAD_JSON),
        (b'{"a": 1' + b"9" * 5000 + b"}", Reason.BAD_JSON),  # int too long to read
        ("\ufeff{}".encode(), Reason.BAD_JSON),
        (b"[1, 2]", Reason.NOT_AN_OBJECT),
        (b"null", Reason.NOT_AN_OBJECT),
        (b'"text"', Reason.NOT_AN_OBJECT),
        (b"\xff\xfe{}", Reason.NOT_UTF8),
        (b'{"a": "\xed\xa0\x80"}', Reason.NOT_UTF8),  # UTF-8 encoded surrogate
        (b'{"a": 1, "a": 2}', Reason.DUPLICATE_KEY),
        (b"[" * 200_000 + b"]" * 200_000, Reason.TOO_DEEP),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, Reason.TOO_DEEP),
    ],
)
def test_malformed_bytes_are_refused(data: bytes, reason: Reason) -> None:
    err = refused(data)
    assert isinstance(err, MalformedMessage)
    assert err.reason == reason
    assert str(err).startswith(f"[{reason}]")


def test_moderate_nesting_inside_the_payload_is_refused_before_validation() -> None:
    obj = envelope_dict()
    nested: Any = 1
    for _ in range(20):
        nested = [nested]
    obj["payload"]["lines"][0]["modifiers"] = nested
    err = refused(raw(obj))
    assert err.reason == Reason.TOO_DEEP


def test_a_message_over_every_limit_is_refused_before_decoding() -> None:
    err = refused(b" " * (MAX_MESSAGE_BYTES + 1))
    assert isinstance(err, MessageTooLarge)
    assert err.reason == Reason.TOO_LARGE


def test_an_uplink_over_its_own_limit_is_refused_and_named() -> None:
    data = raw(envelope_dict())
    padded = data[:-1] + b" " * (64 * 1024) + b"}"
    err = refused(padded)
    assert isinstance(err, MessageTooLarge)
    assert err.message_type == "order.placed"
    assert err.message_id == MESSAGE_ID
    assert "65536" in str(err)


def test_a_catalog_may_be_larger_than_an_uplink() -> None:
    data = raw(envelope_dict("catalog.snapshot"))
    padded = data[:-1] + b" " * (1024 * 1024) + b"}"
    assert parse(padded).type == "catalog.snapshot"


def test_unknown_type_is_refused_but_keeps_the_message_id() -> None:
    obj = envelope_dict()
    obj["type"] = "order.eaten"
    err = refused(raw(obj))
    assert isinstance(err, UnknownMessageType)
    assert err.reason == Reason.UNKNOWN_TYPE
    assert err.message_id == MESSAGE_ID  # so the hub can still ack it as rejected
    assert "order.placed" in str(err)  # lists what is known


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("2.0", Reason.UNSUPPORTED_MAJOR),
        ("0.9", Reason.UNSUPPORTED_MAJOR),
        ("1", Reason.BAD_VERSION),
        ("1.0.0", Reason.BAD_VERSION),
        ("01.0", Reason.BAD_VERSION),
        ("1.0\n", Reason.BAD_VERSION),
        (1.0, Reason.BAD_VERSION),
        (None, Reason.BAD_VERSION),
    ],
)
def test_unsupported_or_unreadable_versions_are_refused(version: Any, reason: Reason) -> None:
    obj = envelope_dict()
    obj["schema_version"] = version
    err = refused(raw(obj))
    assert isinstance(err, UnsupportedVersion)
    assert err.reason == reason


def test_missing_version_is_refused() -> None:
    obj = envelope_dict()
    del obj["schema_version"]
    assert refused(raw(obj)).reason == Reason.BAD_VERSION


UNKNOWN_FIELDS = {
    "trace": lambda obj: obj,
    "loyalty_tier": lambda obj: obj["payload"],
    "spice_level": lambda obj: obj["payload"]["lines"][0],
    "terminal": lambda obj: obj["payload"]["payments"][0],
}
"""Field name -> where in an envelope dict to add it."""


def _add_unknown_fields(obj: dict[str, Any], names: Any = UNKNOWN_FIELDS) -> None:
    for name in names:
        UNKNOWN_FIELDS[name](obj)[name] = "new"


def test_a_newer_minor_is_read_and_its_unknown_fields_ignored() -> None:
    obj = envelope_dict()
    obj["schema_version"] = "1.4"
    _add_unknown_fields(obj)
    env = parse(raw(obj))
    assert env.schema_version == "1.4"
    assert env.payload == parse(raw(envelope_dict())).payload
    assert "loyalty_tier" not in env.payload.model_dump()


@pytest.mark.parametrize(
    ("where", "error"),
    [("trace", InvalidEnvelope), ("loyalty_tier", InvalidPayload),
     ("spice_level", InvalidPayload), ("terminal", InvalidPayload)],
)
def test_unknown_fields_in_the_same_minor_are_refused(where: str, error: type) -> None:
    obj = envelope_dict()
    _add_unknown_fields(obj, [where])
    err = refused(raw(obj))
    assert isinstance(err, error)
    assert where in str(err)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(obj: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = obj
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "reason", "fragment"),
    [
        ("message_id", "f47ac10b-58cc-4372-a567-0e02b2c3d479", Reason.INVALID_ENVELOPE,
         "message_id"),  # a UUIDv4
        ("message_id", MESSAGE_ID.upper(), Reason.INVALID_ENVELOPE, "message_id"),
        ("message_id", _DELETE, Reason.INVALID_ENVELOPE, "message_id"),
        ("type", 5, Reason.INVALID_ENVELOPE, "type"),
        ("site", "site/+", Reason.INVALID_ENVELOPE, "site"),
        ("device", "#", Reason.INVALID_ENVELOPE, "device"),
        ("device", "", Reason.INVALID_ENVELOPE, "device"),
        ("device", "k" * 65, Reason.INVALID_ENVELOPE, "device"),
        ("sent_at", "2025-03-01T11:32:05", Reason.INVALID_ENVELOPE, "UTC"),  # naive
        ("sent_at", 1740828725, Reason.INVALID_ENVELOPE, "sent_at"),
        ("sent_at", "yesterday", Reason.INVALID_ENVELOPE, "sent_at"),
        ("sent_at", "2025-02-30T00:00:00Z", Reason.INVALID_ENVELOPE, "sent_at"),
        ("payload", _DELETE, Reason.INVALID_PAYLOAD, "no payload"),
        ("payload", [1], Reason.INVALID_PAYLOAD, "payload"),
        ("payload.lines.0.qty", "2", Reason.INVALID_PAYLOAD, "lines.0.qty"),
        ("payload.lines.0.qty", 2.0, Reason.INVALID_PAYLOAD, "lines.0.qty"),
        ("payload.lines.0.qty", True, Reason.INVALID_PAYLOAD, "lines.0.qty"),
        ("payload.lines.0.qty", 0, Reason.INVALID_PAYLOAD, "lines.0.qty"),
        ("payload.paid", "yes", Reason.INVALID_PAYLOAD, "paid"),
        ("payload.paid", 1, Reason.INVALID_PAYLOAD, "paid"),
        ("payload.total_cents", "3500", Reason.INVALID_PAYLOAD, "total_cents"),
        ("payload.total_cents", -1, Reason.INVALID_PAYLOAD, "total_cents"),
        ("payload.total_cents", 10**30, Reason.INVALID_PAYLOAD, "total_cents"),
        ("payload.placed_at", 0, Reason.INVALID_PAYLOAD, "placed_at"),
        ("payload.lines", {"0": 1}, Reason.INVALID_PAYLOAD, "lines"),
        ("payload.lines", [], Reason.INVALID_PAYLOAD, "lines"),
        ("payload.order_id", "not-an-id", Reason.INVALID_PAYLOAD, "order_id"),
        ("payload.order_no", "a023", Reason.INVALID_PAYLOAD, "order_no"),
        ("payload.member_id", "m/1", Reason.INVALID_PAYLOAD, "member_id"),
        ("payload.lines.0.name_zh", "宫保\x00鸡丁", Reason.INVALID_PAYLOAD, "control"),
        ("payload.lines.0.name_en", "   ", Reason.INVALID_PAYLOAD, "blank"),
        ("payload.lines.0.name_en", "\ud800", Reason.INVALID_PAYLOAD, "name_en"),
        ("payload.payments.0.method", "cash", Reason.INVALID_PAYLOAD, "method"),
        ("payload.meal_period", "Lunch", Reason.INVALID_PAYLOAD, "meal_period"),
    ],
)
def test_bad_fields_are_refused_with_their_path(
    path: str, value: Any, reason: Reason, fragment: str
) -> None:
    obj = envelope_dict()
    _set(path, value)(obj)
    err = refused(raw(obj))
    assert err.reason == reason
    assert fragment in str(err)
    if path != "type":
        assert err.message_type == "order.placed"
        assert err.message_id == (None if path == "message_id" else MESSAGE_ID)


# ---- the id of a message that cannot be parsed (issue 11 item 3) ----------------------
# So the hub can answer "rejected" and the device stops re-sending it.

OTHER_ID = "01956c2e-9000-7a00-8000-000000000002"


def _with(**changes: Any) -> bytes:
    return raw({**envelope_dict(), **changes})


def _deep(levels: int) -> bytes:
    obj = envelope_dict()
    text = raw(obj)[:-1].decode()
    return (text + ', "extra": ' + "[" * levels + "]" * levels + "}").encode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_with(schema_version="2.0"), Reason.UNSUPPORTED_MAJOR),
        (_with(schema_version="one"), Reason.BAD_VERSION),
        (_with(schema_version=None), Reason.BAD_VERSION),
        (_deep(20), Reason.TOO_DEEP),  # found after decoding
        (_deep(200_000), Reason.TOO_DEEP),  # the decoder itself gave up
        (_with()[:-40], Reason.BAD_JSON),  # truncated
        (_with()[:-1] + b', "x": 1, "x": 2}', Reason.DUPLICATE_KEY),
        (_with()[:-1] + b', "x": "\xff"}', Reason.NOT_UTF8),
    ],
)
def test_an_unparsable_message_still_names_its_id(data: bytes, reason: Reason) -> None:
    err = refused(data)
    assert err.reason == reason
    assert err.message_id == MESSAGE_ID


@pytest.mark.parametrize(
    "data",
    [
        _with(message_id="f47ac10b-58cc-4372-a567-0e02b2c3d479", schema_version="2.0"),  # v4
        _with(message_id=MESSAGE_ID.upper(), schema_version="2.0"),
        _with(message_id=[MESSAGE_ID], schema_version="2.0"),
        # Truncated JSON naming two ids: which one is the message's cannot be told.
        (b'{"message_id": "' + MESSAGE_ID.encode() + b'", "payload": {"message_id": "'
         + OTHER_ID.encode() + b'"'),
        # Well-formed JSON: only the top-level id counts, never one inside the payload.
        raw({k: v for k, v in envelope_dict().items() if k != "message_id"}
            | {"schema_version": "9.0", "payload": {"message_id": MESSAGE_ID}}),
    ],
)
def test_no_id_is_guessed(data: bytes) -> None:
    assert refused(data).message_id is None
