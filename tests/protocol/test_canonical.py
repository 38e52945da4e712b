"""The canonical form is one set of bytes, and the fast decoder agrees with the strict one.

``protocol.codec`` writes canonical JSON with orjson and falls back to the standard
library; the digest of a received message hashes its payload as received. Both are only
safe if orjson and ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` write the same bytes, and if the orjson fast path of ``parse``
accepts exactly what the strict decoder accepts, with the same value (issue 20).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import (
    MAX_DEPTH,
    MalformedMessage,
    ProtocolError,
    Reason,
    codec,
    encode,
    make_envelope,
)
from protocol.codec import content_digest, parse, parse_with_digest
from protocol.fields import WireModel
from tests.protocol.samples import envelope_dict
from tests.protocol.strategies import PAYLOADS

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any text a payload may carry: control characters, quotes, backslashes, non-BMP.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
INTS = st.integers(-(2**63), 2**64 - 1)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INTS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=30,
)


def _strict(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> Any:
    """What the strict decoder alone makes of raw: the value, or (error type, reason)."""
    with monkeypatch.context() as m:
        m.setattr(codec, "_decode_canonical", lambda _raw: None)
        return _outcome(raw)


def _outcome(raw: bytes) -> Any:
    try:
        return codec._decode_json(raw)
    except ProtocolError as err:
        return (type(err).__name__, err.reason, err.message_id)


@SETTINGS
@given(value=JSON_VALUES)
def test_orjson_writes_the_standard_librarys_canonical_bytes(value: Any) -> None:
    assert codec._canonical_json(value) == codec._canonical_json_stdlib(value)


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    big = {"n": 2**70, "s": "a"}
    assert codec._canonical_json(big) == b'{"n":1180591620717411303424,"s":"a"}'


@SETTINGS
@given(value=st.dictionaries(TEXT, JSON_VALUES, max_size=5), spaced=st.booleans())
def test_fast_and_strict_decoders_agree(value: dict[str, Any], spaced: bool) -> None:
    raw = (json.dumps(value, ensure_ascii=False).encode() if spaced
           else codec._canonical_json_stdlib(value))
    with pytest.MonkeyPatch.context() as m:
        assert _outcome(raw) == _strict(raw, m)


@pytest.mark.parametrize("raw", [
    b'{"a":1,"a":2}',  # looks canonical, repeats a key: the strict decoder names it
    b'{"b":1,"a":2}',  # keys out of order
    b'{"a":"\\ud800"}',  # an escaped lone surrogate
    b'{"a":1e400}',
    b'{"a":NaN}',
    b'{"a":' + b"1" * 30 + b"}",  # over 64 bits
    b'[1]',
    b'{"a":"\xed\xa0\x80"}',
    b'{"a":"x"} ',
    b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
])
def test_edge_cases_get_the_strict_decoders_answer(
    raw: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _outcome(raw) == _strict(raw, monkeypatch)


def test_repeated_key_in_canonical_looking_bytes_is_refused() -> None:
    with pytest.raises(MalformedMessage) as info:
        parse(b'{"a":1,"a":2}')
    assert info.value.reason == Reason.DUPLICATE_KEY


def test_canonical_message_nested_too_deep_is_refused_with_its_id() -> None:
    obj = envelope_dict()
    nested: Any = 1
    for _ in range(MAX_DEPTH):
        nested = [nested]
    obj["payload"]["lines"][0]["modifiers"] = nested
    raw = codec._canonical_json_stdlib(obj)
    assert codec._decode_canonical(raw) is None  # the walk saw it
    with pytest.raises(MalformedMessage) as info:
        parse(raw)
    assert info.value.reason == Reason.TOO_DEEP
    assert info.value.message_id == obj["message_id"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_digest_as_received_equals_the_digest_of_the_envelope(data: st.DataObject) -> None:
    type_ = data.draw(st.sampled_from(sorted(PAYLOADS)))
    payload: WireModel = data.draw(PAYLOADS[type_])
    env = make_envelope(type_, payload, site="s1", device="k1")
    raw = encode(env)
    parsed, digest = parse_with_digest(raw)
    assert digest == content_digest(env) == content_digest(parsed)
    spaced = json.dumps(json.loads(raw), indent=1, ensure_ascii=False).encode()
    if len(spaced) <= env.spec.max_bytes:  # the strict path hashes the same payload
        assert parse_with_digest(spaced)[1] == digest
