"""Downlinks are applied atomically, only when newer; bad ones are refused, the last good kept."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from edge_agent.downlinks import DownlinkApplier
from edge_agent.errors import DownlinkRefused
from edge_agent.store import DeviceStore
from protocol.codec import encode
from protocol.envelope import make_envelope
from protocol.ids import new_message_id
from protocol.topics import device_downlink_topic, site_downlink_topic
from tests.edge.conftest import DEVICE, SITE, catalog_msg, catalog_payload

CATALOG_TOPIC = site_downlink_topic(SITE, "catalog")
MEMBERS_TOPIC = site_downlink_topic(SITE, "members")
CONFIG_TOPIC = device_downlink_topic(SITE, DEVICE, "config")
MEMBER_DELTA_TYPE = "member.delta"
DEVICE_CONFIG_TYPE = "device.config"


def hub_msg(type_name: str, payload: dict[str, Any], site: str = SITE) -> bytes:
    """A downlink envelope as raw JSON, the way the hub sends it (so bad ones can be built)."""
    return json.dumps(
        {
            "message_id": new_message_id(),
            "type": type_name,
            "schema_version": "1.0",
            "site": site,
            "device": "hub",
            "sent_at": "2025-03-01T03:00:00Z",
            "payload": payload,
        }
    ).encode()


def h(identifier: str) -> str:
    return hashlib.sha256(identifier.encode()).hexdigest()


def member(identifier: str, name: str = "张三", balance: int = 5000) -> dict[str, Any]:
    return {
        "identifier_hash": h(identifier),
        "member_id": f"m-{identifier}",
        "display_name": name,
        "tier": "staff",
        "balance_cents": balance,
        "offline_limit_cents": 3000,
    }


def members_msg(
    frm: int,
    to: int,
    *,
    full: bool = False,
    upserts: list[dict[str, Any]] | None = None,
    removals: list[str] | None = None,
) -> bytes:
    return hub_msg(
        MEMBER_DELTA_TYPE,
        {
            "from_version": frm,
            "to_version": to,
            "full": full,
            "generated_at": "2025-03-01T03:00:00Z",
            "upserts": upserts or [],
            "removals": removals or [],
        },
    )


@pytest.fixture
def store(tmp_path: Path) -> DeviceStore:
    return DeviceStore(tmp_path / "d.db", site_id=SITE, device_id=DEVICE)


@pytest.fixture
def applier(store: DeviceStore) -> DownlinkApplier:
    # The agent's own connection to the same file, as in production.
    from edge_agent import db

    return DownlinkApplier(db.connect(store.path, synchronous="NORMAL"), site_id=SITE)


def test_catalog_newer_replaces_older_refused_same_ignored(
    store: DeviceStore, applier: DownlinkApplier
) -> None:
    assert store.catalog() is None
    assert applier.handle(CATALOG_TOPIC, catalog_msg(2)) == "applied"
    assert applier.handle(CATALOG_TOPIC, catalog_msg(2)) == "unchanged"  # retained re-delivery
    assert applier.handle(CATALOG_TOPIC, catalog_msg(3, price=2000, sold_out=True)) == "applied"
    with pytest.raises(DownlinkRefused, match="not newer"):
        applier.handle(CATALOG_TOPIC, catalog_msg(2))
    with pytest.raises(DownlinkRefused, match="not newer"):
        applier.handle(CATALOG_TOPIC, catalog_msg(3, price=1))  # same version, other content
    cat = store.catalog()
    assert cat is not None and cat.version == 3
    dish = cat.dish("d-kungpao")
    assert dish is not None and dish.price_cents == 2000 and dish.sold_out
    assert store.counters()["refused.catalog"] == 2


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe garbage",
        b"[]",
        b'{"type": "catalog.snapshot"}',
        json.dumps(
            {
                "message_id": new_message_id(),
                "type": "catalog.snapshot",
                "schema_version": "2.0",
                "site": SITE,
                "device": "hub",
                "sent_at": "2025-03-01T03:00:00Z",
                "payload": catalog_payload(9),
            }
        ).encode(),
    ],
)
def test_bad_catalog_refused_and_last_good_kept(
    store: DeviceStore, applier: DownlinkApplier, raw: bytes
) -> None:
    applier.handle(CATALOG_TOPIC, catalog_msg(5))
    with pytest.raises(DownlinkRefused):
        applier.handle(CATALOG_TOPIC, raw)
    cat = store.catalog()
    assert cat is not None and cat.version == 5
    assert store.counters()["refused.catalog"] == 1


def test_catalog_with_broken_reference_refused(
    store: DeviceStore, applier: DownlinkApplier
) -> None:
    raw = encode(make_envelope("catalog.snapshot", catalog_payload(7), site=SITE, device="hub"))
    raw = raw.replace(
        b'[{"available":true,"dish_id":"d-kungpao"}]',
        b'[{"available":true,"dish_id":"d-kungpao"},{"dish_id":"d-ghost"}]',
    )
    with pytest.raises(DownlinkRefused, match="unknown dish"):
        applier.handle(CATALOG_TOPIC, raw)
    assert store.catalog() is None


def test_catalog_for_another_site_refused(store: DeviceStore, applier: DownlinkApplier) -> None:
    other = encode(
        make_envelope("catalog.snapshot", catalog_payload(4), site="site2", device="hub")
    )
    with pytest.raises(DownlinkRefused):
        applier.handle(CATALOG_TOPIC, other)
    assert store.catalog() is None


def test_member_snapshot_then_deltas_and_gap_refused(
    store: DeviceStore, applier: DownlinkApplier
) -> None:
    full = members_msg(0, 10, full=True, upserts=[member("card-1"), member("card-2", "李四")])
    assert applier.handle(MEMBERS_TOPIC, full) == "applied"
    found = store.lookup_member(h("card-2"))
    assert found is not None and found.display_name == "李四" and found.offline_limit_cents == 3000
    assert (
        applier.handle(
            MEMBERS_TOPIC,
            members_msg(10, 11, upserts=[member("card-1", balance=100)], removals=[h("card-2")]),
        )
        == "applied"
    )
    assert store.lookup_member(h("card-2")) is None
    m1 = store.lookup_member(h("card-1"))
    assert m1 is not None and m1.balance_cents == 100
    # A gap: 12 -> 13 while the device has 11. Refused, cache untouched.
    with pytest.raises(DownlinkRefused, match="gap"):
        applier.handle(MEMBERS_TOPIC, members_msg(12, 13, upserts=[member("card-9")]))
    assert store.lookup_member(h("card-9")) is None
    assert store.versions()["members"] == 11
    with pytest.raises(DownlinkRefused, match="older"):
        applier.handle(MEMBERS_TOPIC, members_msg(5, 6))
    # The full snapshot the device waits for after a gap replaces everything.
    assert (
        applier.handle(MEMBERS_TOPIC, members_msg(0, 13, full=True, upserts=[member("card-9")]))
        == "applied"
    )
    assert store.lookup_member(h("card-1")) is None
    assert store.lookup_member(h("card-9")) is not None
    assert store.counters()["refused.members"] == 2


def test_bad_member_delta_refused(store: DeviceStore, applier: DownlinkApplier) -> None:
    applier.handle(MEMBERS_TOPIC, members_msg(0, 1, full=True, upserts=[member("card-1")]))
    bad_hash = {**member("card-2"), "identifier_hash": "not-a-hash"}
    for raw in (
        members_msg(1, 2, upserts=[bad_hash]),
        members_msg(1, 2, upserts=[{**member("card-2"), "balance_cents": -5}]),
        members_msg(1, 2, upserts=[member("card-2"), member("card-2")]),
        hub_msg(MEMBER_DELTA_TYPE, {"from_version": 1, "to_version": 2}, site="site2"),
        hub_msg(DEVICE_CONFIG_TYPE, {"version": 2}),  # wrong type on this topic
        b'{"message_id": 1, "message_id": 2}',
    ):
        with pytest.raises(DownlinkRefused):
            applier.handle(MEMBERS_TOPIC, raw)
    assert store.versions()["members"] == 1
    assert store.lookup_member(h("card-2")) is None
    assert store.counters()["refused.members"] == 6


def test_device_config_newer_only(store: DeviceStore, applier: DownlinkApplier) -> None:
    ok = hub_msg(
        DEVICE_CONFIG_TYPE, {"version": 2, "order_prefix": "B", "heartbeat_interval_s": 60}
    )
    assert applier.handle(CONFIG_TOPIC, ok) == "applied"
    with pytest.raises(DownlinkRefused):
        applier.handle(CONFIG_TOPIC, hub_msg(DEVICE_CONFIG_TYPE, {"version": 3, "bogus": 1}))
    with pytest.raises(DownlinkRefused, match="not newer"):
        applier.handle(CONFIG_TOPIC, hub_msg(DEVICE_CONFIG_TYPE, {"version": 1}))
    cfg = store.device_config()
    assert cfg is not None and cfg.version == 2
    # The kiosk's order numbers follow the pushed prefix.
    from tests.edge.conftest import draft

    assert store.record_order(draft(1)).order_no == "B001"


def test_unknown_downlink_kind_refused(applier: DownlinkApplier) -> None:
    with pytest.raises(DownlinkRefused, match="no applier"):
        applier.handle(site_downlink_topic(SITE, "weather"), b"{}")
