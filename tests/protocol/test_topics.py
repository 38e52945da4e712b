"""Topic builders and the parser agree, and no id can smuggle in a wildcard or a level."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import (
    Direction,
    InvalidTopic,
    TopicInfo,
    TopicMismatch,
    check_topic,
    device_downlink_filters,
    device_downlink_topic,
    kitchen_filter,
    kitchen_topic,
    make_envelope,
    parse,
    parse_topic,
    site_downlink_topic,
    status_filter,
    status_topic,
    uplink_filter,
    uplink_topic,
)
from protocol import encode as encode_message
from tests.protocol.samples import catalog, envelope_dict, order, raw
from tests.protocol.strategies import identifiers


def test_the_topic_table() -> None:
    assert uplink_topic("s1", "k1", "order.placed") == (
        "canteen/v1/site/s1/device/k1/up/order.placed"
    )
    assert device_downlink_topic("s1", "k1", "ack") == "canteen/v1/site/s1/device/k1/down/ack"
    assert site_downlink_topic("s1", "catalog") == "canteen/v1/site/s1/down/catalog"
    assert status_topic("s1", "k1") == "canteen/v1/site/s1/device/k1/status"
    assert kitchen_topic("s1", "tickets", "wok") == "canteen/v1/site/s1/kitchen/tickets/wok"


def test_the_filters() -> None:
    assert uplink_filter(share_group="ingest") == (
        "$share/ingest/canteen/v1/site/+/device/+/up/#"
    )
    assert uplink_filter() == "canteen/v1/site/+/device/+/up/#"
    assert uplink_filter("s1") == "canteen/v1/site/s1/device/+/up/#"
    assert status_filter() == "canteen/v1/site/+/device/+/status"
    assert device_downlink_filters("s1", "k1") == (
        "canteen/v1/site/s1/device/k1/down/#",
        "canteen/v1/site/s1/down/#",
    )
    assert kitchen_filter("s1") == "canteen/v1/site/s1/kitchen/#"


@pytest.mark.parametrize(
    ("topic", "info"),
    [
        ("canteen/v1/site/s1/device/k1/up/order.placed",
         TopicInfo("s1", "k1", Direction.UP, "order.placed")),
        ("canteen/v1/site/s1/device/k1/down/ack", TopicInfo("s1", "k1", Direction.DOWN, "ack")),
        ("canteen/v1/site/s1/down/catalog", TopicInfo("s1", None, Direction.DOWN, "catalog")),
        ("canteen/v1/site/s1/device/k1/status", TopicInfo("s1", "k1", Direction.STATUS, None)),
        ("canteen/v1/site/s1/kitchen/tickets/wok",
         TopicInfo("s1", None, Direction.KITCHEN, "tickets/wok")),
    ],
)
def test_parse_topic(topic: str, info: TopicInfo) -> None:
    assert parse_topic(topic) == info


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "canteen/v2/site/s1/device/k1/status",
        "canteen/v1/site/s1",
        "canteen/v1/site/s1/device/k1",
        "canteen/v1/site/s1/device/k1/up",
        "canteen/v1/site/s1/device/k1/up/order.placed/extra",
        "canteen/v1/site/s1/device/k1/sideways/x",
        "canteen/v1/site/+/device/k1/status",
        "canteen/v1/site/s1/device/#/status",
        "canteen/v1/site/s1/device/k1/up/Order.Placed",
        "canteen/v1/site/s1/device/k1/up/orderplaced",
        "canteen/v1/site//device/k1/status",
        "canteen/v1/site/s1/kitchen",
        "/canteen/v1/site/s1/device/k1/status",
        "$share/g/canteen/v1/site/s1/device/k1/status",
        "canteen/v1/site/s1/device/k1/status/",
    ],
)
def test_unknown_topic_shapes_are_refused(topic: str) -> None:
    with pytest.raises(InvalidTopic) as info:
        parse_topic(topic)
    assert info.value.reason == "invalid_topic"


@pytest.mark.parametrize(
    "bad", ["", "+", "#", "a/b", "$SYS", "a+b", "k#1", "k 1", "终端", "..", "x" * 65, "k1\n"]
)
def test_ids_that_could_inject_wildcards_or_levels_are_refused(bad: str) -> None:
    for build in (
        lambda: uplink_topic(bad, "k1", "order.placed"),
        lambda: uplink_topic("s1", bad, "order.placed"),
        lambda: status_topic("s1", bad),
        lambda: device_downlink_topic("s1", bad, "ack"),
        lambda: site_downlink_topic(bad, "catalog"),
        lambda: kitchen_topic("s1", bad),
        lambda: uplink_filter(share_group=bad),
        lambda: device_downlink_filters("s1", bad),
    ):
        with pytest.raises(InvalidTopic):
            build()


@pytest.mark.parametrize("bad", ["order.+", "order/placed", "#", "ORDER.placed", ""])
def test_event_types_and_kinds_are_checked_too(bad: str) -> None:
    with pytest.raises(InvalidTopic):
        uplink_topic("s1", "k1", bad)
    with pytest.raises(InvalidTopic):
        site_downlink_topic("s1", bad)


@settings(max_examples=60)
@given(site=identifiers, device=identifiers)
def test_built_topics_parse_back(site: str, device: str) -> None:
    assert parse_topic(uplink_topic(site, device, "feedback.given")) == TopicInfo(
        site, device, Direction.UP, "feedback.given")
    assert parse_topic(status_topic(site, device)).device == device
    assert parse_topic(device_downlink_topic(site, device, "ack")).kind == "ack"


@settings(max_examples=200)
@given(topic=st.text(max_size=80) | st.lists(
    st.sampled_from(["canteen", "v1", "site", "device", "up", "down", "status", "kitchen",
                     "s1", "k1", "+", "#", "", "order.placed", "ack"]), max_size=9
).map("/".join))
def test_parse_topic_raises_only_invalid_topic(topic: str) -> None:
    try:
        info = parse_topic(topic)
    except InvalidTopic:
        return
    assert "+" not in topic and "#" not in topic
    assert info.site and "/" not in info.site


def test_parse_with_topic_accepts_where_the_message_belongs() -> None:
    up = parse(raw(envelope_dict()), topic="canteen/v1/site/site-1/device/kiosk-1/up/order.placed")
    assert up.device == "kiosk-1"
    cat = make_envelope("catalog.snapshot", catalog(), site="site-1", device="hub")
    check_topic(cat, "canteen/v1/site/site-1/down/catalog")
    ack = make_envelope("event.ack", {"acks": [{"message_id": up.message_id, "result": "ok"}]},
                        site="site-1", device="hub")
    assert ack.topic("kiosk-1") == "canteen/v1/site/site-1/device/kiosk-1/down/ack"
    parse(encode_message(ack), topic=ack.topic("kiosk-1"))


@pytest.mark.parametrize(
    ("message_type", "topic"),
    [
        ("order.placed", "canteen/v1/site/site-1/device/kiosk-2/up/order.placed"),  # other device
        ("order.placed", "canteen/v1/site/site-2/device/kiosk-1/up/order.placed"),  # other site
        ("order.placed", "canteen/v1/site/site-1/device/kiosk-1/up/feedback.given"),
        ("order.placed", "canteen/v1/site/site-1/device/kiosk-1/status"),
        ("order.placed", "canteen/v1/site/site-1/device/kiosk-1/down/ack"),
        ("catalog.snapshot", "canteen/v1/site/site-1/device/kiosk-1/down/catalog"),
        ("catalog.snapshot", "canteen/v1/site/site-1/down/members"),
        ("catalog.snapshot", "canteen/v1/site/site-1/device/kiosk-1/up/catalog.snapshot"),
    ],
)
def test_a_message_on_the_wrong_topic_is_refused(message_type: str, topic: str) -> None:
    payload = catalog() if message_type == "catalog.snapshot" else order()
    with pytest.raises(TopicMismatch) as info:
        parse(raw(envelope_dict(message_type, payload)), topic=topic)
    assert info.value.reason == "topic_mismatch"
    assert info.value.message_id is not None


def test_a_bad_topic_given_to_parse_is_a_protocol_error() -> None:
    with pytest.raises(InvalidTopic):
        parse(raw(envelope_dict()), topic="canteen/v1/site/site-1/device/+/up/order.placed")
