"""Bad input through a real worker: each refused with a recorded reason, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from demo.broker import PrivateBroker
from hub.app import create_app
from hub.settings import Settings
from protocol import uplink_topic
from tests.ingest.helpers import (
    SITE,
    FakeDevice,
    api_headers,
    prepare_hub,
    recorded_orders,
    scalar,
    start_worker,
    stop,
    wait_for,
)


def _counts(engine: object) -> tuple[int, ...]:
    return tuple(
        scalar(engine, f"SELECT count(*) FROM {t}")  # type: ignore[arg-type]
        for t in ("orders", "order_line", "payment", "sync_message")
    )


def test_every_bad_message_dead_lettered_or_deduplicated(
    sqlite_hub: Settings, broker: PrivateBroker, tmp_path: Path
) -> None:
    engine = prepare_hub(sqlite_hub, ["k1", "k2"])
    worker = start_worker(sqlite_hub, broker, "w1", tmp_path / "logs")
    k1, k2 = FakeDevice(broker, "k1"), FakeDevice(broker, "k2")
    try:
        good = recorded_orders(tmp_path / "k1.db", "k1", 3)
        other = recorded_orders(tmp_path / "k2.db", "k2", 1)
        stranger = recorded_orders(tmp_path / "k9.db", "k9", 1)
        for _mid, topic, body, _ in good:
            k1.publish(topic, body)
        wait_for(lambda: all(k1.result(m) for m, *_ in good), 20, "good orders acked")
        before = _counts(engine)
        assert before == (3, scalar(engine, "SELECT count(*) FROM order_line"), before[2], 3)

        order_topic = uplink_topic(SITE, "k1", "order.placed")
        mid0, _, body0, _ = good[0]
        doc = json.loads(body0)

        def variant(**changes: object) -> bytes:
            return json.dumps({**doc, **changes}).encode()

        unknown_type = variant(message_id=mid0.replace(mid0[-4:], "aaaa"), type="order.voided")
        wrong_version = variant(message_id=mid0.replace(mid0[-4:], "dddd"), schema_version="2.0")
        nested: object = 1
        for _ in range(20):
            nested = [nested]
        too_deep = variant(message_id=mid0.replace(mid0[-4:], "eeee"), padding=nested)
        oversized = variant(message_id=mid0.replace(mid0[-4:], "cccc"), padding="x" * 70_000)
        bad_payload = variant(message_id=mid0.replace(mid0[-4:], "bbbb"),
                              payload={**doc["payload"], "total_cents": 1})
        conflicting = variant(payload={**doc["payload"], "order_no": "Z-999"})
        cases = [
            (order_topic, b'{"message_id": "oops", ', "bad_json"),
            (order_topic, b"\xff\xfe not utf-8", "not_utf8"),
            (uplink_topic(SITE, "k1", "order.voided"), unknown_type, "unknown_type"),
            (order_topic, wrong_version, "unsupported_major"),
            (order_topic, too_deep, "too_deep"),
            (order_topic, oversized, "too_large"),
            (order_topic, bad_payload, "invalid_payload"),
            (order_topic, other[0][2], "topic_mismatch"),  # k2's order on k1's topic
            (uplink_topic(SITE, "k9", "order.placed"), stranger[0][2], "unknown_device"),
        ]
        for topic, raw, _ in cases:
            k1.publish(topic, raw)
        k1.publish(order_topic, body0)  # replay of an ingested message
        k1.publish(order_topic, conflicting)  # same id, other content
        wait_for(lambda: scalar(engine, "SELECT count(*) FROM sync_dead_letter") == len(cases),
                 20, "dead letters")
        wait_for(lambda: len(k1.result(mid0)) == 3 or bool(k1.errors), 20,
                 "replay and conflict acked")
        assert not k1.errors

        rows = {r[0]: r for r in _rows(engine)}
        for topic, raw, reason in cases:
            assert reason in rows, (reason, sorted(rows))
            assert rows[reason][1] == topic
            assert rows[reason][2] == raw[:65536] and rows[reason][3] == len(raw)
        assert [r for r, _ in k1.result(mid0)] == ["ok", "duplicate", "conflict"]
        assert "different content" in (k1.result(mid0)[2][1] or "")
        # Readable ids are answered "rejected" with the reason; unreadable ones get no ack.
        assert k1.result(other[0][0])[0][0] == "rejected"
        assert "topic_mismatch" in (k1.result(other[0][0])[0][1] or "")
        assert k1.result(json.loads(bad_payload)["message_id"])[0][0] == "rejected"
        # Also when the envelope itself could not be read (issue 11 item 3): the id is
        # read leniently, so the device parks the message instead of re-sending it.
        for unreadable, reason in ((wrong_version, "unsupported_major"), (too_deep, "too_deep")):
            message_id = json.loads(unreadable)["message_id"]
            wait_for(lambda m=message_id: bool(k1.result(m)), 20, f"{reason} acked")
            [(result, why)] = k1.result(message_id)
            assert result == "rejected" and why is not None and why.startswith(reason)
        assert _counts(engine) == before  # nothing half-written
        assert scalar(engine, "SELECT order_no FROM orders WHERE id = :i",
                      i=doc["payload"]["order_id"]) == doc["payload"]["order_no"]
        assert scalar(engine, "SELECT count(*) FROM sync_conflict") == 1

        app = create_app(sqlite_hub)
        with TestClient(app) as client:
            page = client.get("/api/v1/sync/dead-letters?limit=3",
                              headers=api_headers(app, "manager"))
            assert page.status_code == 200
            assert page.json()["total"] == len(cases) and len(page.json()["items"]) == 3
            only = client.get("/api/v1/sync/dead-letters?reason=bad_json",
                              headers=api_headers(app, "admin")).json()
            assert only["total"] == 1 and only["items"][0]["raw_text"].startswith('{"message_id"')
            refused = client.get("/api/v1/sync/dead-letters", headers=api_headers(app, "cashier"))
            assert refused.status_code == 403
            assert client.get("/api/v1/sync/dead-letters").status_code == 401
    finally:
        k1.close()
        k2.close()
        stop(worker)
        engine.dispose()


def _rows(engine: object) -> list[tuple[str, str, bytes, int]]:
    import sqlalchemy as sa

    with engine.connect() as conn:  # type: ignore[attr-defined]
        return [
            (r[0], r[1], bytes(r[2]), r[3])
            for r in conn.execute(
                sa.text("SELECT reason, topic, raw, size_bytes FROM sync_dead_letter")
            )
        ]
