"""Every registered type survives make_envelope -> encode -> parse unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import (
    REGISTRY,
    Route,
    content_digest,
    encode,
    make_envelope,
    parse,
    parse_topic,
)
from protocol.fields import WireModel
from tests.protocol.strategies import PAYLOADS, identifiers

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_every_registered_type_has_a_strategy() -> None:
    assert set(PAYLOADS) == set(REGISTRY)


@pytest.mark.parametrize("message_type", sorted(REGISTRY))
@SETTINGS
@given(data=st.data(), site=identifiers, device=identifiers)
def test_round_trip(message_type: str, data: st.DataObject, site: str, device: str) -> None:
    payload: WireModel = data.draw(PAYLOADS[message_type])
    env = make_envelope(message_type, payload, site=site, device=device)
    raw = encode(env)
    to_device = "target-1" if env.spec.route is Route.DEVICE_DOWNLINK else None
    topic = env.topic(to_device)
    back = parse(raw, topic=topic)
    assert back == env
    assert back.payload == payload
    assert type(back.payload) is type(payload)
    assert encode(back) == raw  # canonical: same bytes after a round trip
    assert content_digest(back) == content_digest(env)
    info = parse_topic(topic)
    assert info.site == site


@SETTINGS
@given(payload=PAYLOADS["order.placed"], delay=st.integers(1, 10**6))
def test_digest_ignores_sent_at_but_not_content(payload: WireModel, delay: int) -> None:
    first = make_envelope("order.placed", payload, site="s1", device="k1")
    resent = make_envelope(
        "order.placed", payload, site="s1", device="k1",
        message_id=first.message_id, sent_at=first.sent_at + timedelta(seconds=delay),
    )
    assert encode(resent) != encode(first)
    assert content_digest(resent) == content_digest(first)
    changed = payload.model_copy(update={"offline": not payload.offline})  # type: ignore[attr-defined]
    other = make_envelope("order.placed", changed, site="s1", device="k1",
                          message_id=first.message_id)
    assert content_digest(other) != content_digest(first)
    assert content_digest(make_envelope("order.placed", payload, site="s1", device="k2")) != (
        content_digest(first)
    )


def test_encoding_is_compact_sorted_utf8_with_z_times() -> None:
    env = make_envelope(
        "device.status", {"state": "online", "app_version": "版本1"}, site="s1", device="k1",
        sent_at=datetime(2025, 3, 1, 11, 32, 5, tzinfo=UTC),
    )
    raw = encode(env)
    text = raw.decode("utf-8")
    assert "版本1" in text  # not \u-escaped
    assert ": " not in text and ", " not in text
    assert '"sent_at":"2025-03-01T11:32:05Z"' in text
    obj = json.loads(raw)
    assert list(obj) == sorted(obj)
    assert raw == json.dumps(obj, sort_keys=True, separators=(",", ":"),
                             ensure_ascii=False).encode()


def test_non_utc_offsets_are_normalised_to_utc() -> None:
    env = make_envelope("device.status", {"state": "offline"}, site="s1", device="k1")
    obj = json.loads(encode(env))
    obj["sent_at"] = "2025-03-01T19:32:05.5+08:00"
    back = parse(json.dumps(obj).encode())
    assert back.sent_at == datetime(2025, 3, 1, 11, 32, 5, 500000, tzinfo=UTC)
    assert '"sent_at":"2025-03-01T11:32:05.500000Z"' in encode(back).decode()
