"""The kiosk's row: personal with a model, popularity without one, explained, diet-safe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge_agent.model_store import ModelStore, read_active
from edge_agent.store import DeviceStore
from kiosk.model_recommender import ModelRecommender
from kiosk.recommend import (
    PopularityRecommender,
    RecommendContext,
    explain,
    recommend,
)
from kiosk.services.history import OrderHistory
from models.recommend.model import RecommendModel
from models.recommend.synth import Canteen
from protocol.payloads.catalog import Dish
from rules.dietary import DietaryFilter
from tests.support.recommend import (
    SITE,
    catalog_of,
    release,
    save_catalog,
    tiny_canteen,
    tiny_model,
)

TZ = "Asia/Shanghai"
NOW = datetime(2026, 3, 25, 4, 30, tzinfo=UTC)  # 12:30 in Shanghai, a Wednesday


@pytest.fixture(scope="module")
def canteen() -> Canteen:
    return tiny_canteen()


@pytest.fixture(scope="module")
def model(canteen: Canteen) -> RecommendModel:
    return tiny_model(canteen)


@pytest.fixture
def store(tmp_path: Path, canteen: Canteen) -> Iterator[DeviceStore]:
    clock = {"now": NOW - timedelta(days=10)}
    s = DeviceStore(tmp_path / "device.db", site_id=SITE, device_id="kiosk1", timezone=TZ,
                    clock=lambda: clock["now"])
    save_catalog(s.conn, catalog_of(canteen))
    s.clock_box = clock  # type: ignore[attr-defined]
    yield s
    s.close()


def _lunch(canteen: Canteen) -> list[Dish]:
    return [d for d in catalog_of(canteen).dishes
            if 1 in canteen.dishes[int(d.id[1:])].periods]


def _order(store: DeviceStore, member: str | None, dishes: list[Dish], day: int) -> None:
    store.clock_box["now"] = NOW - timedelta(days=day)  # type: ignore[attr-defined]
    lines = [{"dish_id": d.id, "name_zh": d.name_zh, "name_en": d.name_en, "qty": 1,
              "unit_price_cents": d.price_cents, "line_total_cents": d.price_cents,
              "station": d.station} for d in dishes]
    total = sum(d.price_cents for d in dishes)
    pay = ([{"method": "stored_value", "amount_cents": total}] if member
           else [{"method": "counter", "amount_cents": total}])
    store.record_order({"meal_period": "lunch", "member_id": member, "lines": lines,
                        "subtotal_cents": total, "total_cents": total, "payments": pay,
                        "paid": member is not None})


def _context(member: str | None = None, prefs: tuple[str, ...] = ()) -> RecommendContext:
    return RecommendContext(SITE, "lunch", NOW, 2, member, preferences=prefs,
                            period_name=("午餐", "Lunch"))


def _ranker(store: DeviceStore) -> ModelRecommender:
    return ModelRecommender(store, PopularityRecommender(OrderHistory(store, TZ)), TZ)


def _switch_in(store: DeviceStore, model: RecommendModel, version: int = 1) -> None:
    ModelStore(store.conn, Path(store.path).parent / "models", site_id=SITE).apply(
        release(model, version))


def test_without_a_model_the_row_is_the_popularity_fallback(store: DeviceStore,
                                                            canteen: Canteen) -> None:
    menu = _lunch(canteen)
    _order(store, None, [menu[9]], 1)
    ranker = _ranker(store)
    recs = recommend(ranker, _context(), menu, DietaryFilter(), 4)
    assert recs[0].id == menu[9].id and ranker.model_version is None
    assert explain(ranker, _context(), recs) is not None  # "popular at lunch here"


def test_a_member_gets_a_personal_row_with_a_reason(store: DeviceStore, canteen: Canteen,
                                                    model: RecommendModel) -> None:
    menu = _lunch(canteen)
    favourite = menu[-1]  # the last card of the menu, far from the grid's first ones
    for day in (2, 4, 6):
        _order(store, "m-7", [favourite], day)
    _switch_in(store, model)
    ranker = _ranker(store)
    member_row = recommend(ranker, _context("m-7"), menu, DietaryFilter(), 6)
    assert ranker.model_version == 1 and member_row[0].id == favourite.id
    why = explain(ranker, _context("m-7"), member_row)
    assert why is not None and favourite.name_zh in why.zh and favourite.name_en in why.en
    assert why.zh.startswith("因为你常点") and why.en.startswith("Because you often order")
    guest_row = recommend(ranker, _context(), menu, DietaryFilter(), 6)
    assert [d.id for d in guest_row] != [d.id for d in menu[:6]]
    assert [d.id for d in guest_row] != [d.id for d in member_row]
    guest_why = explain(ranker, _context(), guest_row)
    assert guest_why is not None
    assert (guest_why.zh, guest_why.en) == ("午餐这里很受欢迎", "Popular at lunch here")


def test_the_row_never_breaks_a_dietary_filter(store: DeviceStore, canteen: Canteen,
                                               model: RecommendModel) -> None:
    menu = _lunch(canteen)
    meat = [d for d in menu if "vegetarian" not in d.tags]
    for day in (1, 2, 3):
        _order(store, "m-8", meat[:2], day)  # a member who always eats meat...
    _switch_in(store, model)
    veg = DietaryFilter(vegetarian=True)
    recs = recommend(_ranker(store), _context("m-8", ("vegetarian",)), menu, veg, 6)
    assert recs and all("vegetarian" in d.tags for d in recs)  # ...filtered as vegetarian
    sold_out = [d.model_copy(update={"sold_out": True}) if d.id == meat[0].id else d
                for d in menu]
    recs = recommend(_ranker(store), _context("m-8"), sold_out, DietaryFilter(), 6)
    assert meat[0].id not in {d.id for d in recs}


def test_a_model_file_that_fails_to_load_leaves_the_last_good_one(
        store: DeviceStore, canteen: Canteen, model: RecommendModel) -> None:
    menu = _lunch(canteen)
    _switch_in(store, model, 1)
    ranker = _ranker(store)
    recommend(ranker, _context(), menu, DietaryFilter(), 4)
    assert ranker.model_version == 1
    _switch_in(store, model, 2)
    active = read_active(store.conn)
    assert active is not None
    active.path.write_bytes(active.path.read_bytes()[:100])  # damaged on disk after the switch
    recs = recommend(ranker, _context(), menu, DietaryFilter(), 4)
    assert len(recs) == 4 and ranker.model_version == 1  # v2 refused, v1 kept in memory
    fresh = _ranker(store)  # a kiosk restarted with only the damaged file: popularity
    assert len(recommend(fresh, _context(), menu, DietaryFilter(), 4)) == 4
    assert fresh.model_version is None
