"""The idempotency digest is taken from the message as received, and stays compatible.

Since issue 20 the hub hashes the payload as it arrived (``protocol.parse_with_digest``)
instead of dumping the validated model again. Both give the same digest for everything
``protocol.encode`` writes; for a message that left out a defaulted field they differ,
and a digest stored by an older hub (the validated form) must still recognise the
re-send of such a message as a duplicate, not a conflict.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from hub.ingest.classify import Inbound
from hub.ingest.writer import BatchWriter
from hub.settings import Settings
from protocol import content_digest, encode, make_envelope, new_order_id, parse
from tests.ingest.helpers import SITE, prepare_hub, scalar


def _order() -> tuple[Inbound, Inbound]:
    """One order, canonical and re-sent without its lines' defaulted ``note`` field."""
    payload = {**make_draft(random.Random(7), FALLBACK_DISHES), "member_id": None,
               "order_id": new_order_id(), "order_no": "A-007",
               "placed_at": datetime(2025, 3, 1, 4, 30, tzinfo=UTC)}
    env = make_envelope("order.placed", payload, site=SITE, device="k1")
    canonical = encode(env)
    obj = json.loads(canonical)
    for line in obj["payload"]["lines"]:
        assert line.pop("note") == ""
    sparse = json.dumps(obj, ensure_ascii=False).encode()
    return Inbound(env.topic(), canonical), Inbound(env.topic(), sparse)


def test_resend_matches_a_digest_stored_in_the_validated_form(
    sqlite_hub: Settings, tmp_path: Path
) -> None:
    engine = prepare_hub(sqlite_hub, ["k1"])
    canonical, sparse = _order()
    writer = BatchWriter(engine)
    [first] = writer.write([sparse])
    assert first.result == "ok"
    env = parse(sparse.raw)
    legacy = content_digest(env)
    with engine.begin() as conn:
        stored = conn.execute(sa.text("SELECT digest FROM sync_message")).scalar_one()
        assert stored != legacy  # as received: without the defaulted fields
        conn.execute(sa.text("UPDATE sync_message SET digest = :d"), {"d": legacy})
    # An older hub stored the validated form; the same bytes re-sent are a duplicate.
    assert [o.result for o in writer.write([sparse])] == ["duplicate"]
    # The canonical spelling of the same message hashes to the validated form as well.
    assert [o.result for o in writer.write([canonical])] == ["duplicate"]
    assert scalar(engine, "SELECT count(*) FROM orders") == 1
    assert scalar(engine, "SELECT count(*) FROM sync_conflict") == 0
    engine.dispose()


def test_a_changed_payload_under_the_same_id_is_still_a_conflict(
    sqlite_hub: Settings, tmp_path: Path
) -> None:
    engine = prepare_hub(sqlite_hub, ["k1"])
    canonical, _ = _order()
    obj = json.loads(canonical.raw)
    obj["payload"]["offline"] = not obj["payload"]["offline"]
    changed = Inbound(canonical.topic, json.dumps(obj, ensure_ascii=False).encode())
    writer = BatchWriter(engine)
    assert [o.result for o in writer.write([canonical])] == ["ok"]
    assert [o.result for o in writer.write([changed])] == ["conflict"]
    engine.dispose()
