"""Stock: receipts into lots, consumption back-flushed by ingest (FIFO over lots), counts,
waste, alerts, the traceability report and the origins shown to diners (SQLite)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from hub.ingest.writer import BatchWriter
from hub.models.supply import (
    CountCreate,
    MovementKind,
    ReceiptCreate,
    StockMovement,
    WasteCreate,
    WasteReason,
)
from hub.supply import inventory, stock
from tests.hub.conftest import make_settings
from tests.support.supply import Canteen, make_canteen, order_message

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
TODAY = date(2026, 3, 2)


@pytest.fixture
def canteen(tmp_path: Path) -> Canteen:
    return make_canteen(make_settings(tmp_path))


def receive(c: Canteen, supplier: str, lines: list[tuple[str, float, str, date]],
            at: datetime) -> None:
    with Session(c.engine) as s:
        inventory.receive(session=s, actor="clerk", now=at, data=ReceiptCreate.model_validate({
            "site_id": c.site_id, "supplier_id": c.suppliers[supplier], "reference": "DN-1",
            "lines": [{"ingredient_id": c.ingredients[i], "qty": q, "lot_code": lot,
                       "produced_on": at.date() - timedelta(days=1), "expires_on": exp}
                      for i, q, lot, exp in lines]}))


def test_orders_consume_lots_first_in_first_out(canteen: Canteen) -> None:
    c = canteen
    receive(c, "farm", [("chicken", 400.0, "CK-A", TODAY + timedelta(days=3))],
            NOW - timedelta(days=1))
    receive(c, "farm", [("chicken", 1000.0, "CK-B", TODAY + timedelta(days=5))],
            NOW - timedelta(hours=2))
    receive(c, "veg", [("greens", 2000.0, "GR-1", TODAY + timedelta(days=2))],
            NOW - timedelta(hours=2))
    orders = [
        order_message("k1", NOW, [("d-kungpao", 2, None), ("d-rice", 1, None)]),
        order_message("k2", NOW + timedelta(minutes=1), [("d-kungpao", 1, None),
                                                         ("d-buffet", 1, 340)]),
    ]
    writer = BatchWriter(c.engine)
    assert [o.result for o in writer.write(orders)] == ["ok", "ok"]
    # A redelivery is a duplicate and consumes nothing again.
    assert [o.result for o in writer.write(orders)] == ["duplicate", "duplicate"]
    with c.engine.connect() as conn:
        have = stock.on_hand(conn, c.site_id)
        assert have[c.ingredients["chicken"]] == pytest.approx(1400 - 3 * 150)
        # The weighed buffet's recipe is per 100 g: 340 g uses 3.4 x 80 g of greens.
        assert have[c.ingredients["greens"]] == pytest.approx(2000 - 3.4 * 80)
        # Rice was never received: stock goes negative rather than losing the use.
        assert have[c.ingredients["rice"]] == pytest.approx(-100)
        rows = stock.traceability(conn, c.site_id, TODAY, TODAY)
    chicken = [(r.dish_code, r.lot_code, r.qty) for r in rows if r.ingredient_code == "chicken"]
    # 450 g of chicken: all 400 g of the older lot CK-A, then 50 g of CK-B.
    assert sum(q for _, lot, q in chicken if lot == "CK-A") == pytest.approx(400)
    assert sum(q for _, lot, q in chicken if lot == "CK-B") == pytest.approx(50)
    assert {r.supplier_en for r in rows if r.lot_code} == {"Green Source Farm",
                                                           "South Market Greens"}
    assert [r.lot_code for r in rows if r.ingredient_code == "rice"] == [None]


def test_alerts_counts_and_waste(canteen: Canteen) -> None:
    c = canteen
    receive(c, "farm", [("chicken", 2500.0, "CK-A", TODAY + timedelta(days=1)),
                        ("egg", 60.0, "EG-1", TODAY + timedelta(days=10))],
            NOW - timedelta(days=1))
    with c.engine.connect() as conn:
        kinds = {(a.kind, a.code) for a in stock.alerts(conn, c.site_id, TODAY)}
    assert ("expiring", "chicken") in kinds
    assert ("low_stock", "rice") in kinds  # a level is set and nothing is in stock
    assert ("low_stock", "chicken") not in kinds
    with Session(c.engine) as s:
        inventory.record_waste(session=s, actor="cook", now=NOW, data=WasteCreate(
            site_id=c.site_id, ingredient_id=c.ingredients["chicken"], qty=600,
            reason=WasteReason.SPOILED))
        counted = inventory.count(session=s, actor="clerk", now=NOW, data=CountCreate(
            site_id=c.site_id, lines=[{"ingredient_id": c.ingredients["egg"],  # type: ignore[list-item]
                                       "counted_qty": 54}]))
        assert counted[0].expected_qty == 60
        kinds_moved = [m.kind for m in s.exec(select(StockMovement)).all()]
    assert MovementKind.WASTE in kinds_moved and MovementKind.COUNT in kinds_moved
    with c.engine.connect() as conn:
        have = stock.on_hand(conn, c.site_id)
        assert have[c.ingredients["egg"]] == 54
        assert have[c.ingredients["chicken"]] == 1900
        kinds = {(a.kind, a.code) for a in stock.alerts(conn, c.site_id, TODAY + timedelta(2))}
    assert ("low_stock", "chicken") in kinds
    assert ("expired", "chicken") in kinds


def test_origins_of_main_ingredients_only_where_published(tmp_path: Path) -> None:
    c = make_canteen(make_settings(tmp_path))
    receive(c, "farm", [("chicken", 1000.0, "CK-A", TODAY + timedelta(days=3)),
                        ("egg", 30.0, "EG-1", TODAY + timedelta(days=9))], NOW)
    receive(c, "veg", [("tomato", 1000.0, "TM-1", TODAY + timedelta(days=3))], NOW)
    with c.engine.connect() as conn:
        found = stock.origins(conn, c.site_id)
    assert [(o.ingredient_en, o.supplier_en, o.lot_date) for o in found["d-kungpao"]] == [
        ("Chicken thigh", "Green Source Farm", TODAY - timedelta(days=1))]
    # Tomato is not a main ingredient: only the egg's origin is shown.
    assert [o.ingredient_en for o in found["d-tomato-egg"]] == ["Egg"]
    assert "d-rice" not in found
    hidden = make_canteen(make_settings(tmp_path / "b"), publish_origin=False)
    with hidden.engine.connect() as conn:
        assert stock.origins(conn, hidden.site_id) == {}


def test_the_catalog_carries_origins_to_the_kiosk_dish_detail(tmp_path: Path) -> None:
    from hub.downlinks.catalog import build_snapshot
    from kiosk.controllers.views import dish_card
    from protocol import CatalogSnapshot, encode, parse

    c = make_canteen(make_settings(tmp_path))
    now = datetime.now(UTC) - timedelta(hours=1)
    receive(c, "farm", [("chicken", 1000.0, "CK-A", now.date() + timedelta(days=30))], now)
    env, _problems = build_snapshot(c.engine, "site1")
    snap = parse(encode(env)).payload_as(CatalogSnapshot)
    dish = snap.dish("d-kungpao")
    assert dish is not None and [o.supplier_en for o in dish.origins] == ["Green Source Farm"]
    card = dish_card(dish, weighed=False)
    assert card.origin.zh.startswith("食材来源：鸡腿肉 绿源农场 批次")
    assert card.origin.en.startswith("Sourced: Chicken thigh: Green Source Farm, lot")
    rice = snap.dish("d-rice")
    assert rice is not None and rice.origins == () and dish_card(rice, False).origin.en == ""


def test_a_1_0_catalog_without_origins_still_reads() -> None:
    from protocol import parse

    raw = (b'{"device":"hub","message_id":"01956c2e-9000-7a00-8000-000000000999",'
           b'"payload":{"dishes":[{"category":"hot","id":"d1","name_en":"Rice",'
           b'"name_zh":"\\u7c73\\u996d","price_cents":100,"station":"main"}],'
           b'"generated_at":"2025-03-01T00:00:00Z","meal_periods":[],"version":1},'
           b'"schema_version":"1.0","sent_at":"2025-03-01T00:00:00Z","site":"s1",'
           b'"type":"catalog.snapshot"}')
    dish = parse(raw).payload.dishes[0]  # type: ignore[attr-defined]
    assert dish.origins == ()
