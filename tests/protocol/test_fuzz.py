"""Fuzzing ``parse``: whatever arrives, only a ProtocolError can come out."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import ProtocolError, encode, parse
from tests.protocol.samples import envelope_dict

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def parse_or_refuse(data: bytes) -> None:
    """Parse; a success must round-trip, a failure must be a ProtocolError with a reason."""
    try:
        env = parse(data)
    except ProtocolError as err:
        assert err.reason
        assert str(err)
        return
    assert parse(encode(env)) == env


@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    parse_or_refuse(data)


@FUZZ
@given(value=json_values)
def test_arbitrary_json(value: Any) -> None:
    parse_or_refuse(json.dumps(value).encode())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


@FUZZ
@given(
    message_type=st.sampled_from(["order.placed", "catalog.snapshot"]),
    data=st.data(),
    version=st.sampled_from(["1.0", "1.9"]),
)
def test_valid_envelopes_with_one_value_replaced(
    message_type: str, data: st.DataObject, version: str
) -> None:
    obj = envelope_dict(message_type)
    obj["schema_version"] = version
    path = data.draw(st.sampled_from([p for p in _paths(obj) if p]))
    node: Any = obj
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(json_values)
    parse_or_refuse(json.dumps(obj).encode())


@FUZZ
@given(data=st.data())
def test_valid_envelopes_with_bytes_flipped(data: st.DataObject) -> None:
    raw = bytearray(json.dumps(envelope_dict()).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    parse_or_refuse(bytes(raw))
