"""The catalog builder sends category/station names and coupon terms from the hub's tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.downlinks.catalog import next_snapshot
from hub.models import DishCategory, KitchenStation, Member
from hub.models.coupons import Coupon, CouponTemplate
from hub.seed import seed_demo
from hub.seed.catalog import CATEGORIES, STATIONS
from hub.seed.sites import SITES
from hub.settings import Settings
from protocol import CatalogSnapshot
from rules.order import CouponKind
from tests.support.hub_db import migrated_engine

SITE = SITES[0].code


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Engine]:
    """A migrated, seeded hub database."""
    engine = migrated_engine(tmp_path / "db")
    with Session(engine) as session:
        summary = seed_demo(session, cipher=FieldCipher.from_settings(Settings(demo_mode=True)))
    assert summary.categories == len(CATEGORIES) and summary.stations == len(STATIONS)
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> CatalogSnapshot:
    """The site's next catalog snapshot."""
    return next_snapshot(engine, SITE).payload_as(CatalogSnapshot)


def test_seeded_names_travel_in_the_catalog(seeded: Engine) -> None:
    snap = snapshot(seeded)
    used = {d.category for d in snap.dishes}
    assert {c.code for c in snap.categories} == used
    assert [c.sort for c in snap.categories] == sorted(c.sort for c in snap.categories)
    meat = snap.category("meat")
    assert meat is not None and (meat.name_zh, meat.name_en) == ("荤菜", "Meat Dishes")
    assert {s.code for s in snap.stations} == {d.station for d in snap.dishes}
    noodles = snap.station("noodles")
    assert noodles is not None and (noodles.name_zh, noodles.name_en) == ("面档", "Noodle Bar")


def test_a_code_without_a_name_sends_no_names_of_that_kind(
    seeded: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with Session(seeded) as session:
        row = session.exec(select(DishCategory).where(DishCategory.code == "meat")).one()
        session.delete(row)
        session.commit()
    snap = snapshot(seeded)
    assert snap.categories == () and snap.stations != ()
    assert "meat" in caplog.text
    with Session(seeded) as session:
        session.add(KitchenStation(code="unused", name_zh="闲置", name_en="Unused"))
        session.commit()
    assert "unused" not in {s.code for s in snapshot(seeded).stations}  # only codes in use


def test_coupon_templates_carry_the_terms(seeded: Engine) -> None:
    now = utcnow()
    with Session(seeded) as session:
        member = session.exec(select(Member)).first()
        assert member is not None and member.id is not None
        session.add(CouponTemplate(code="five-off", name_zh="满20减5元", name_en="5 off 20",
                                   kind=CouponKind.AMOUNT_OFF, amount_cents=500,
                                   min_spend_cents=2000, categories=["meat"]))
        session.add(CouponTemplate(code="pct", name_zh="九折", name_en="10 % off",
                                   kind=CouponKind.PERCENT_OFF, percent_bp=1000,
                                   max_off_cents=300))
        held = CouponTemplate(code="old-free", name_zh="旧券", name_en="Old", active=False,
                              kind=CouponKind.FREE_DISH, dish_code="rice")
        gone = CouponTemplate(code="gone", name_zh="停用", name_en="Gone", active=False,
                              kind=CouponKind.AMOUNT_OFF, amount_cents=100)
        session.add_all([held, gone])
        session.flush()
        assert held.id is not None and gone.id is not None
        for template_id, until in ((held.id, now + timedelta(days=3)),
                                   (gone.id, now - timedelta(days=1))):
            session.add(Coupon(template_id=template_id, member_id=member.id, source="test",
                               valid_from=now - timedelta(days=5), valid_until=until,
                               issued_by="test"))
        session.commit()
    terms = {t.code: t for t in snapshot(seeded).offers.coupon_templates}
    # Switched off but still held by a diner: still priced; switched off and expired: gone.
    assert set(terms) == {"five-off", "pct", "old-free"}
    five = terms["five-off"]
    assert (five.kind, five.amount_cents, five.min_spend_cents, five.categories) == (
        "amount_off", 500, 2000, ("meat",))
    assert (terms["pct"].percent_bp, terms["pct"].max_off_cents) == (1000, 300)
    assert terms["old-free"].dish_id == "rice" and terms["old-free"].name_zh == "旧券"


def test_migration_made_the_tables(seeded: Engine) -> None:
    names = set(sa.inspect(seeded).get_table_names())
    assert {"dish_category", "kitchen_station"} <= names
