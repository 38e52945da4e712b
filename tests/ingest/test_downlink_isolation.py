"""One site's bad catalog row never blocks another site's downlinks (issue 11, item 2).

Two canteens on a real Mosquitto, rows written straight into the database (bypassing the
API's checks, as an old row or a hand edit would be): the publisher's rounds still send
every other row, every other site, and every member delta; staff see what was left out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import time
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy.engine import Engine
from sqlmodel import Session

from demo.broker import PrivateBroker
from hub.app import create_app
from hub.crypto import FieldCipher
from hub.db import make_engine
from hub.downlinks.loop import DownlinkRounds
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher
from hub.migrate import upgrade_to_head
from hub.models import Dish, MealPeriod, Member, Menu, MenuItem, Organisation, Site
from hub.models.catalog_names import DishCategory, KitchenStation
from hub.models.users import Role
from hub.settings import Settings
from protocol import CatalogSnapshot, parse
from protocol.member_cache import MemberCacheDelta
from tests.hub.conftest import TEST_PASSWORD, ensure_user
from tests.ingest.helpers import api_headers, scalar, wait_for

GOOD, BAD = "north", "south"  # site codes: south gets the bad row


class Downlinks:
    """Every catalog and member delta the broker delivers, per site, in arrival order."""

    def __init__(self, broker: PrivateBroker) -> None:
        self.lock = threading.Lock()
        self.catalogs: dict[str, list[CatalogSnapshot]] = {}
        self.members: dict[str, list[MemberCacheDelta]] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.subscribe("canteen/v1/site/+/down/#", qos=1)
        self.client.loop_start()
        assert subscribed.wait(10), "no SUBACK"

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        env = parse(bytes(msg.payload), topic=msg.topic)
        with self.lock:
            if env.type == "catalog.snapshot":
                self.catalogs.setdefault(env.site, []).append(env.payload_as(CatalogSnapshot))
            elif env.type == "member.delta":
                self.members.setdefault(env.site, []).append(env.payload_as(MemberCacheDelta))

    def catalog_versions(self, site: str) -> list[int]:
        """Versions of the catalogs received for a site, in order."""
        with self.lock:
            return [c.version for c in self.catalogs.get(site, [])]

    def last_catalog(self, site: str) -> CatalogSnapshot:
        """The newest catalog received for a site."""
        with self.lock:
            return self.catalogs[site][-1]

    def member_ids(self, site: str) -> set[str]:
        """Member numbers upserted into a site's cache so far."""
        with self.lock:
            return {u.member_id for d in self.members.get(site, []) for u in d.upserts}

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def add_site(s: Session, code: str, member_no: str, dish_code: str) -> int:
    """A site of its own organisation with a lunch menu of one dish and one member."""
    org = Organisation(code=f"org-{code}", name_zh=code, name_en=code)
    s.add(org)
    s.flush()
    site = Site(code=code, name_zh=code, name_en=code, organisation_id=org.id)
    s.add(site)
    s.flush()
    assert site.id is not None
    add_menu(s, site.id, "lunch", time(11), time(13), dish_code)
    s.add(Member(member_no=member_no, name="张三", organisation_id=org.id))
    return site.id


def add_menu(s: Session, site_id: int, period_code: str, start: time, end: time,
             dish_code: str) -> None:
    """A meal period with a menu of one new dish (no API checks: straight into the tables)."""
    period = MealPeriod(site_id=site_id, code=period_code, name_zh="餐", name_en="Meal",
                        start=start, end=end)
    dish = Dish(code=dish_code, name_zh="菜", name_en="Dish", category="hot",
                price_cents=1200, station="wok")
    s.add_all([period, dish])
    s.flush()
    menu = Menu(site_id=site_id, meal_period_id=period.id)  # type: ignore[arg-type]
    s.add(menu)
    s.flush()
    s.add(MenuItem(menu_id=menu.id, dish_id=dish.id))  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite_hub", pytest.param("pg_hub", marks=pytest.mark.postgres)],
                ids=["sqlite", "postgres"])
def hub(request: pytest.FixtureRequest,
        broker: PrivateBroker) -> Iterator[tuple[Settings, Engine]]:
    """Two canteens; south has a meal period code the wire refuses (``late-snack``)."""
    backend: Settings = request.getfixturevalue(request.param)
    settings = backend.model_copy(update={"mqtt_host": broker.host, "mqtt_port": broker.port})
    engine = make_engine(settings)
    upgrade_to_head(engine, schema=settings.db_schema)
    with Session(engine) as s:
        s.add_all([DishCategory(code="hot", name_zh="热菜", name_en="Hot dishes"),
                   KitchenStation(code="wok", name_zh="炒锅", name_en="Wok")])
        add_site(s, GOOD, "N001", "d-north")
        south = add_site(s, BAD, "S001", "d-south")
        add_menu(s, south, "late-snack", time(21), time(0, 30), "d-night")
        s.commit()
    yield settings, engine
    engine.dispose()


def rounds(settings: Settings, engine: Engine, pub: OneShotPublisher) -> DownlinkRounds:
    """The publisher's rounds with every kind due at every round."""
    return DownlinkRounds(engine, cipher=FieldCipher.from_settings(settings), publisher=pub,
                          catalog_every=0, members_every=0)


def test_bad_row_left_out_other_sites_and_members_still_sent(
    hub: tuple[Settings, Engine], broker: PrivateBroker
) -> None:
    settings, engine = hub
    seen = Downlinks(broker)
    try:
        with OneShotPublisher(BrokerTarget(broker.host, broker.port)) as pub:
            first = rounds(settings, engine, pub).run_round()
        assert first.failed == []
        wait_for(lambda: all(seen.catalog_versions(s) and seen.member_ids(s)
                             for s in (GOOD, BAD)), 10, "both sites' downlinks")
        south = seen.last_catalog(BAD)
        assert [p.code for p in south.meal_periods] == ["lunch"]
        assert [m.meal_period for m in south.menus] == ["lunch"]
        assert [d.id for d in south.dishes] == ["d-south"]  # the late-snack dish is not on sale
        assert [d.id for d in seen.last_catalog(GOOD).dishes] == ["d-north"]
        assert seen.member_ids(GOOD) == {"N001"} and seen.member_ids(BAD) == {"S001"}
    finally:
        seen.close()
    app = create_app(settings)
    with TestClient(app) as client:
        h = api_headers(app, "manager")
        status = client.get("/api/v1/sync/downlinks?problems_only=true", headers=h)
        assert status.status_code == 200, status.text
        [row] = status.json()
        assert (row["site"], row["kind"], row["sent"]) == (BAD, "catalog", True)
        [problem] = row["problems"]
        assert (problem["what"], problem["code"]) == ("meal_period", "late-snack")
        assert "should match pattern" in problem["reason"]
        sid = scalar(engine, "SELECT id FROM site WHERE code = :c", c=BAD)
        published = client.post(f"/api/v1/sync/sites/{sid}/publish-catalog",
                                headers=api_headers(app, "admin"))
        assert published.status_code == 200, published.text
        assert [p["code"] for p in published.json()["problems"]] == ["late-snack"]
    with TestClient(app, follow_redirects=False) as client:  # the admin's Sync menu
        user = ensure_user(app, username="manager-desk", role=Role.MANAGER)
        login = client.post("/admin/login", data={"username": user.username,
                                                  "password": TEST_PASSWORD})
        assert login.status_code == 302, login.text
        zh = client.get("/admin/downlink-status/list?lang=zh_Hans")
        assert zh.status_code == 200, zh.text
        assert "下发状态" in zh.text and "被略过的行" in zh.text and "late-snack" in zh.text
        en = client.get("/admin/downlink-status/list?lang=en").text
        assert "Downlink status" in en and "Rows left out" in en and "meal_period late-snack" in en


def test_unchanged_catalog_is_not_published_again(
    hub: tuple[Settings, Engine], broker: PrivateBroker
) -> None:
    settings, engine = hub
    seen = Downlinks(broker)
    try:
        with OneShotPublisher(BrokerTarget(broker.host, broker.port)) as pub:
            publisher = rounds(settings, engine, pub)
            assert [c.site for c in publisher.run_round().catalogs] == [GOOD, BAD]
            for _ in range(5):  # nothing changed: nothing sent
                assert publisher.run_round().catalogs == []
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE dish SET price_cents = 1300 WHERE code = 'd-north'"))
            changed = publisher.run_round()
            assert [(c.site, c.version) for c in changed.catalogs] == [(GOOD, 2)]
        # The broker delivers one publisher's messages in order: once version 2 is here,
        # any re-send of version 1 would have arrived before it.
        wait_for(lambda: seen.catalog_versions(GOOD)[-1:] == [2], 10, "north catalog v2")
        assert seen.catalog_versions(GOOD) == [1, 2]
        assert seen.catalog_versions(BAD) == [1]
    finally:
        seen.close()


def test_catalog_that_cannot_be_built_is_refused_for_its_site_alone(
    hub: tuple[Settings, Engine], broker: PrivateBroker
) -> None:
    settings, engine = hub
    with Session(engine) as s:  # 21 more periods: over the wire's 20 per catalog
        south = scalar(engine, "SELECT id FROM site WHERE code = :c", c=BAD)
        for i in range(21):
            s.add(MealPeriod(site_id=south, code=f"p{i}", name_zh="餐", name_en="Meal",
                             start=time(i), end=time(i, 30)))
        s.commit()
    seen = Downlinks(broker)
    try:
        with OneShotPublisher(BrokerTarget(broker.host, broker.port)) as pub:
            done = rounds(settings, engine, pub).run_round()
        assert [(site, kind) for site, kind, _ in done.failed] == [(BAD, "catalog")]
        assert [c.site for c in done.catalogs] == [GOOD]
        assert sorted(m.site for m in done.members) == [GOOD, BAD]
        wait_for(lambda: bool(seen.catalog_versions(GOOD) and seen.member_ids(BAD)), 10,
                 "north's catalog and south's members")
        assert seen.catalog_versions(BAD) == []
    finally:
        seen.close()
    app = create_app(settings)
    with TestClient(app) as client:
        rows = client.get("/api/v1/sync/downlinks", headers=api_headers(app, "manager")).json()
        by_key = {(r["site"], r["kind"]): r for r in rows}
        refused = by_key[(BAD, "catalog")]
        assert refused["sent"] is False and "meal_periods" in refused["error"]
        assert by_key[(GOOD, "catalog")]["sent"] is True
        r = client.post(f"/api/v1/sync/sites/{south}/publish-catalog",
                        headers=api_headers(app, "admin"))
        assert r.status_code == 422, r.text
        assert "catalog of site south not sent" in r.json()["detail"]



def test_one_sites_failing_member_build_leaves_the_others(
    hub: tuple[Settings, Engine], broker: PrivateBroker
) -> None:
    settings, engine = hub
    seen = Downlinks(broker)
    try:
        with OneShotPublisher(BrokerTarget(broker.host, broker.port)) as pub:
            publisher = rounds(settings, engine, pub)
            assert publisher.run_round().failed == []
            south = scalar(engine, "SELECT id FROM site WHERE code = :c", c=BAD)
            with engine.begin() as conn:  # south's key no longer decrypts: its build fails
                conn.execute(sa.text("UPDATE site_identity_key SET key_encrypted = 'x' "
                                     "WHERE site_id = :s"), {"s": south})
            with Session(engine) as s:
                for no, site in (("N002", GOOD), ("S002", BAD)):
                    org = scalar(engine, "SELECT organisation_id FROM site WHERE code = :c",
                                 c=site)
                    s.add(Member(member_no=no, name="李四", organisation_id=org))
                s.commit()
            done = publisher.run_round()
            assert [(site, kind) for site, kind, _ in done.failed] == [(BAD, "members")]
            assert [m.site for m in done.members] == [GOOD]
        wait_for(lambda: "N002" in seen.member_ids(GOOD), 10, "north's new member")
        assert "S002" not in seen.member_ids(BAD)
    finally:
        seen.close()
    app = create_app(settings)
    with TestClient(app) as client:
        rows = client.get("/api/v1/sync/downlinks?problems_only=true",
                          headers=api_headers(app, "manager")).json()
        members = [r for r in rows if r["kind"] == "members"]  # (south's catalog: the fixture's)
        assert [(r["site"], r["sent"]) for r in members] == [(BAD, False)]
        assert "cannot decrypt" in members[0]["error"]
        south = scalar(engine, "SELECT id FROM site WHERE code = :c", c=BAD)
        r = client.post(f"/api/v1/sync/sites/{south}/publish-members",
                        headers=api_headers(app, "manager"))
        assert r.status_code == 409 and "cannot decrypt" in r.text, r.text  # was 500


def test_catalog_over_the_size_limit_is_refused_with_the_reason(
    hub: tuple[Settings, Engine], broker: PrivateBroker
) -> None:
    settings, engine = hub
    south = scalar(engine, "SELECT id FROM site WHERE code = :c", c=BAD)
    menu = scalar(engine, "SELECT m.id FROM menu m JOIN meal_period p ON p.id = m.meal_period_id"
                          " WHERE m.site_id = :s AND p.code = 'lunch'", s=south)
    with Session(engine) as s:  # each dish fits the wire; together they pass 2 MiB
        for i in range(1200):
            dish = Dish(code=f"big-{i:04d}", name_zh="菜", name_en="Dish", category="hot",
                        price_cents=100, station="wok", description_zh="长" * 1000,
                        description_en="x" * 1000)
            s.add(dish)
            s.flush()
            s.add(MenuItem(menu_id=menu, dish_id=dish.id))  # type: ignore[arg-type]
        s.commit()
    app = create_app(settings)
    with TestClient(app) as client:
        h = api_headers(app, "admin")
        r = client.post(f"/api/v1/sync/sites/{south}/publish-catalog", headers=h)
        assert r.status_code == 422, r.text
        assert "catalog of site south not sent" in r.json()["detail"]
        north = scalar(engine, "SELECT id FROM site WHERE code = :c", c=GOOD)
        assert client.post(f"/api/v1/sync/sites/{north}/publish-catalog",
                           headers=h).status_code == 200
        rows = client.get("/api/v1/sync/downlinks?problems_only=true", headers=h).json()
        assert [(r["site"], r["kind"], r["sent"]) for r in rows] == [(BAD, "catalog", False)]
