"""The kitchen display's portions: the day's plan (hub forecast + bookings) comes down with
the bookings snapshot; the cook records cooked and left over; the hub keeps the newest
record as the prepared portions and books the left-overs as overproduction waste."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from demo.broker import PrivateBroker
from edge_agent.downlinks import DownlinkApplier
from edge_agent.errors import ConfigError
from edge_agent.kitchen.config import load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from hub.downlinks.bookings import bookings_content
from hub.ingest.classify import Inbound
from hub.ingest.writer import BatchWriter
from hub.models.sites import MealPeriod
from hub.models.supply import MovementKind, PortionPlan, StockMovement
from hub.models.supply_forecast import ForecastRow, ForecastRun
from kiosk.kds.portions import KdsPortions
from protocol import CatalogSnapshot
from protocol.payloads.bookings import BookingsSnapshot
from tests.hub.conftest import make_settings
from tests.kitchen.conftest import kitchen_toml, run_screen
from tests.support.screenshots import publish_screenshot
from tests.support.supply import PERIOD, SITE, Canteen, make_canteen

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
TODAY = date(2026, 3, 2)


def catalog() -> CatalogSnapshot:
    return CatalogSnapshot.model_validate({
        "version": 1, "generated_at": NOW,
        "meal_periods": [{"code": PERIOD, "name_zh": "午餐", "name_en": "Lunch",
                          "start": "00:00", "end": "23:59"}],
        "dishes": [{"id": "d-kungpao", "name_zh": "宫保鸡丁", "name_en": "Kung Pao chicken",
                    "category": "hot", "price_cents": 1800, "station": "wok"}]})


def forecast(c: Canteen, day: date, portions: dict[str, float]) -> None:
    with Session(c.engine) as s:
        lunch = s.exec(select(MealPeriod.id).where(MealPeriod.site_id == c.site_id)).one()
        assert lunch is not None
        run = ForecastRun(site_id=c.site_id, start=day, days=1, origin=day - timedelta(days=1))
        s.add(run)
        s.flush()
        assert run.id is not None
        for code, n in portions.items():
            s.add(ForecastRow(run_id=run.id, site_id=c.site_id, dish_id=c.dishes[code],
                              meal_period_id=lunch, day=day, portions=n, seasonal_naive=n))
        s.commit()


def day_snapshot(c: Canteen, now: datetime, version: int = 1) -> BookingsSnapshot:
    """What the hub's downlink publisher would send: the plan, and one booking of 宫保鸡丁."""
    content = bookings_content(c.engine, SITE, now)
    booking = {"booking_id": "5f0c6b3e-2d1a-4c8e-9b7a-1e2f3a4b5c6d", "member_id": "M0001",
               "meal_period": PERIOD, "kind": "dish", "dish_id": "d-tomato-egg", "qty": 3,
               "price_cents": 2700, "name_zh": "番茄炒蛋", "name_en": "Tomato and egg"}
    return BookingsSnapshot.model_validate({
        "version": version, "generated_at": now, **content,
        "bookings": [*content["bookings"], booking]})


def outbox(store: KdsStore, message_id: str) -> Inbound:
    topic, body = store.conn.execute(
        "SELECT topic, body FROM outbox WHERE message_id = ?", (message_id,)).fetchone()
    return Inbound(topic, bytes(body))


def test_plan_comes_down_cook_records_hub_keeps_newest_and_books_left_overs(
        tmp_path: Path) -> None:
    c = make_canteen(make_settings(tmp_path), devices=("kds1",))
    forecast(c, TODAY, {"d-kungpao": 41.6, "d-tomato-egg": 1.2})
    snap = day_snapshot(c, NOW)
    assert [(p.dish_id, p.forecast) for p in snap.plan] == [("d-kungpao", 42),
                                                           ("d-tomato-egg", 1)]
    store = KdsStore(tmp_path / "kds1.db", site_id=SITE, device_id="kds1", clock=lambda: NOW)
    DownlinkApplier(store.conn, site_id=SITE).apply_catalog(catalog())
    DownlinkApplier(store.conn, site_id=SITE).apply_bookings(snap)

    panel = KdsPortions(store, "zh", now=lambda: NOW)
    lines = panel.load()
    assert panel.title() == "午餐 份数计划"
    # Planned: the forecast, never below the bookings (3 booked, forecast 1).
    assert [(ln.dish_id, ln.forecast, ln.booked, ln.planned, ln.cooked) for ln in lines] == [
        ("d-kungpao", 42, 0, 42, 42), ("d-tomato-egg", 1, 3, 3, 3)]
    assert panel.rows()[1]["plan"] == "计划 3（预订 3）"
    panel.adjust("d-kungpao", "cooked", -2)
    for _ in range(5):
        panel.adjust("d-kungpao", "left_over", 1)
    panel.adjust("d-tomato-egg", "left_over", 9)  # never more than cooked
    assert [(ln.cooked, ln.left_over) for ln in panel.lines] == [(40, 5), (3, 3)]
    first = panel.record()
    assert first is not None and panel.status.startswith("已记录 2 道菜")

    writer = BatchWriter(c.engine)
    assert [o.result for o in writer.write([outbox(store, first)])] == ["ok"]

    def hub_state() -> tuple[dict[int, int], float]:
        with Session(c.engine) as s:
            plans = {p.dish_id: p.prepared for p in s.exec(select(PortionPlan).where(
                PortionPlan.service_date == TODAY, PortionPlan.meal_period == PERIOD))}
            waste = sum(m.qty for m in s.exec(select(StockMovement).where(
                StockMovement.kind == MovementKind.WASTE,
                StockMovement.ingredient_id == c.ingredients["chicken"],
                col(StockMovement.reason) == "overproduction")))
        return plans, waste

    plans, chicken = hub_state()
    assert plans == {c.dishes["d-kungpao"]: 40, c.dishes["d-tomato-egg"]: 3}
    assert chicken == pytest.approx(-5 * 150)  # 5 portions left x 150 g of chicken
    # A later record replaces it: the ledger now holds 2 portions left, no more.
    panel = KdsPortions(store, "en", now=lambda: NOW + timedelta(minutes=30))
    panel.load()
    panel.adjust("d-kungpao", "left_over", 2)
    second = panel.record()
    assert second is not None
    assert [o.result for o in writer.write([outbox(store, second)])] == ["ok"]
    plans, chicken = hub_state()
    assert plans[c.dishes["d-kungpao"]] == 42 and chicken == pytest.approx(-2 * 150)
    # The first record redelivered is a duplicate, and changes nothing.
    assert [o.result for o in writer.write([outbox(store, first)])] == ["duplicate"]
    assert hub_state() == (plans, chicken)


def test_no_plan_yet_or_between_meals_says_so(tmp_path: Path) -> None:
    store = KdsStore(tmp_path / "kds1.db", site_id=SITE, device_id="kds1")
    DownlinkApplier(store.conn, site_id=SITE).apply_catalog(catalog())
    panel = KdsPortions(store, "en", now=lambda: NOW)
    assert panel.load() == [] and panel.status.startswith("No portions plan")
    assert panel.record() is None


def test_the_plan_is_for_the_site_local_day_of_the_kitchen_config(tmp_path: Path) -> None:
    # 20:00 UTC on 1 March: already 2 March in Shanghai, still 1 March in London.
    evening = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    store = KdsStore(tmp_path / "kds1.db", site_id=SITE, device_id="kds1", clock=lambda: evening)
    applier = DownlinkApplier(store.conn, site_id=SITE)
    applier.apply_catalog(catalog())
    applier.apply_bookings(BookingsSnapshot.model_validate({
        "version": 1, "generated_at": evening, "service_date": "2026-03-02", "bookings": [],
        "plan": [{"meal_period": PERIOD, "dish_id": "d-kungpao", "name_zh": "宫保鸡丁",
                  "name_en": "Kung Pao chicken", "forecast": 30}]}))
    shanghai = KdsPortions(store, "en", now=lambda: evening, zone=ZoneInfo("Asia/Shanghai"))
    assert [ln.planned for ln in shanghai.load()] == [30] and shanghai.day == "2026-03-02"
    london = KdsPortions(store, "en", now=lambda: evening, zone=ZoneInfo("Europe/London"))
    assert london.load() == [] and london.status.startswith("No portions plan")
    store.close()


def test_a_kitchen_config_with_an_unknown_time_zone_is_refused(
        broker: PrivateBroker, tmp_path: Path) -> None:
    conf = kitchen_toml(tmp_path / "kds.toml", broker, "kds-1")
    conf.write_text(conf.read_text().replace('announce = "off"\n',
                                             'announce = "off"\ntimezone = "Mars/Olympus"\n'))
    with pytest.raises(ConfigError, match=r"timezone.*unknown timezone 'Mars/Olympus'"):
        load_kitchen_config(conf)
    conf.write_text(conf.read_text().replace("Mars/Olympus", "Europe/London"))
    assert load_kitchen_config(conf).timezone == "Europe/London"


@pytest.mark.screen
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kds_portions_panel_on_screen(broker: PrivateBroker, tmp_path: Path,
                                      lang: str) -> None:
    kconf = kitchen_toml(tmp_path / "kds.toml", broker, "kds-1", language=lang)
    cfg = load_kitchen_config(kconf)
    store = KdsStore(cfg.store_path, site_id="site-1", device_id="kds-1")
    now = datetime.now(UTC)
    day = now.astimezone(ZONE).date().isoformat()
    plan: list[dict[str, Any]] = [
        {"meal_period": PERIOD, "dish_id": d, "name_zh": zh, "name_en": en, "forecast": n}
        for d, zh, en, n in (("d-kungpao", "宫保鸡丁", "Kung Pao chicken", 42),
                             ("d-tomato-egg", "番茄炒蛋", "Tomato and egg", 35),
                             ("d-rice", "米饭", "Steamed rice", 120))]
    bookings = [{"booking_id": f"5f0c6b3e-2d1a-4c8e-9b7a-1e2f3a4b5c{i:02d}",
                 "member_id": f"M{i:04d}", "meal_period": PERIOD, "kind": "dish",
                 "dish_id": "d-kungpao", "qty": 1, "price_cents": 1800,
                 "name_zh": "宫保鸡丁", "name_en": "Kung Pao chicken"} for i in range(12)]
    applier = DownlinkApplier(store.conn, site_id="site-1")
    applier.apply_catalog(catalog())
    applier.apply_bookings(BookingsSnapshot.model_validate({
        "version": 1, "generated_at": now, "service_date": day, "bookings": bookings,
        "plan": plan}))
    store.close()
    shot = tmp_path / f"kds-portions-{lang}.png"
    out = run_screen(kconf, tmp_path / "kds.json", "--expect", "0", "--portions",
                     "--shot", str(shot))
    rows = out["portions"]
    assert [(r["dish_id"], r["cooked"], r["left_over"]) for r in rows] == [
        ("d-kungpao", 42, 2), ("d-rice", 120, 0), ("d-tomato-egg", 35, 0)]
    assert out["portions_title"] == {"zh": "午餐 份数计划", "en": "Lunch portions plan"}[lang]
    assert out["portions_status"].startswith({"zh": "已记录 3 道菜", "en": "Recorded 3"}[lang])
    store = KdsStore(cfg.store_path, site_id="site-1", device_id="kds-1")
    (queued,) = store.conn.execute(
        "SELECT count(*) FROM outbox WHERE kind = 'portions.recorded'").fetchone()
    store.close()
    assert queued == 1  # the record waits in the outbox for the agent to send
    publish_screenshot(tmp_path / f"kds-portions-{lang}0001.png", f"kds-portions-{lang}.png")
