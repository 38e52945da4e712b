"""seed_demo on a real, migrated SQLite file: complete, repeatable, all-or-nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from hub.crypto import FieldCipher
from hub.models import (
    Device,
    Dish,
    MealPeriod,
    Member,
    Menu,
    MenuItem,
    Organisation,
    Role,
    SetMeal,
    SetMealItem,
    SetMealSlot,
    Site,
    User,
)
from hub.seed import SeedError, seed_demo
from hub.services.users import authenticate
from hub.settings import Settings
from tests.support.hub_db import migrated_engine

# Salted or randomised on purpose, so never equal between two runs.
NONDETERMINISTIC = {"users": {"password_hash"}, "member": {"phone_encrypted"}}
SEEDED_TABLES = (
    "organisation", "site", "meal_period", "device", "dish", "menu", "menu_item",
    "set_meal", "set_meal_item", "set_meal_slot", "member", "users",
)


@pytest.fixture(scope="module")
def cipher() -> FieldCipher:
    return FieldCipher.from_settings(Settings(demo_mode=True))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty migrated database for tests that write."""
    eng = migrated_engine(tmp_path / "db")
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, cipher: FieldCipher) -> Iterator[Engine]:
    """One database seeded with seed 42, shared by the tests that only read."""
    eng = migrated_engine(tmp_path_factory.mktemp("seeded"))
    with Session(eng) as session:
        summary = seed_demo(session, seed=42, cipher=cipher)
    assert not summary.skipped
    yield eng
    eng.dispose()


def count(session: Session, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every seeded row of every table, ordered by id, minus salted columns."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    meta = sa.MetaData()
    meta.reflect(engine, only=SEEDED_TABLES)
    with engine.connect() as conn:
        for name in SEEDED_TABLES:
            table = meta.tables[name]
            cols = [c for c in table.c if c.name not in NONDETERMINISTIC.get(name, set())]
            out[name] = [tuple(r) for r in conn.execute(sa.select(*cols).order_by(table.c.id))]
    return out


def test_seed_writes_two_canteens_with_dishes_members_devices_and_users(
    engine: Engine, cipher: FieldCipher
) -> None:
    with Session(engine) as session:
        summary = seed_demo(session, seed=42, cipher=cipher)
        assert not summary.skipped
        assert count(session, Dish) == summary.dishes >= 60
        assert count(session, Member) == summary.members >= 200
        assert count(session, User) == summary.users == 4
        assert count(session, Site) == 2
        assert count(session, MealPeriod) == 8
        assert count(session, Menu) == 8
        assert count(session, Device) == 8
        assert count(session, SetMeal) == summary.set_meals >= 2
        site = session.exec(select(Site).where(Site.code == "xinghe-staff")).one()
        assert site.name_zh == "星河科技园职工食堂" and site.timezone == "Asia/Shanghai"
        devices = session.exec(select(Device).where(Device.site_id == site.id)).all()
        kinds = sorted(d.kind for d in devices)
        assert kinds == ["kds", "kiosk", "kiosk", "pickup"]


def test_running_twice_does_not_duplicate(engine: Engine, cipher: FieldCipher) -> None:
    with Session(engine) as session:
        seed_demo(session, seed=42, cipher=cipher)
    before = dump(engine)
    with Session(engine) as session:
        again = seed_demo(session, seed=42, cipher=cipher)
    assert again.skipped and again.dishes == 0
    assert dump(engine) == before


def test_same_seed_gives_identical_rows_and_another_seed_other_members(
    tmp_path: Path, cipher: FieldCipher
) -> None:
    dumps = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        eng = migrated_engine(tmp_path / name)
        with Session(eng) as session:
            seed_demo(session, seed=seed, cipher=cipher)
        dumps.append(dump(eng))
        eng.dispose()
    assert dumps[0] == dumps[1]
    assert dumps[0]["dish"] == dumps[2]["dish"]
    assert dumps[0]["member"] != dumps[2]["member"]


def test_every_demo_user_logs_in_with_the_demo_password(
    seeded: Engine, cipher: FieldCipher
) -> None:
    with Session(seeded) as session:
        for username in ("admin", "manager", "cashier", "kitchen"):
            user = authenticate(session=session, username=username, password="canteen-demo")
            assert user is not None and user.role == username
        assert authenticate(session=session, username="admin", password="wrong-password") is None


def test_an_existing_admin_keeps_its_password(engine: Engine, cipher: FieldCipher) -> None:
    from hub.security import hash_password

    with Session(engine) as session:
        mine = hash_password("mine-1234567")
        session.add(User(username="admin", role=Role.ADMIN, password_hash=mine))
        session.commit()
        summary = seed_demo(session, cipher=cipher)
        assert summary.users == 3
        assert authenticate(session=session, username="admin", password="mine-1234567")
        assert authenticate(session=session, username="admin", password="canteen-demo") is None


def test_phones_are_encrypted_at_rest_and_findable_by_hash(
    seeded: Engine, cipher: FieldCipher
) -> None:
    with Session(seeded) as session:
        with_phone = sa.column("phone_encrypted").is_not(None)
        members = session.exec(select(Member).where(with_phone)).all()
        assert len(members) >= 200
        for m in members[:20]:
            assert m.phone_encrypted is not None
            phone = cipher.decrypt(m.phone_encrypted)
            assert phone not in m.phone_encrypted
            by_hash = Member.phone_hash == cipher.lookup_hash(phone)
            found = session.exec(select(Member).where(by_hash))
            assert found.one().member_no == m.member_no
        assert all(m.consent_data_at is not None for m in members)


def test_set_meals_reference_existing_dishes_and_categories(
    seeded: Engine, cipher: FieldCipher
) -> None:
    with Session(seeded) as session:
        categories = set(session.exec(select(Dish.category)).all())
        dish_ids = set(session.exec(select(Dish.id)).all())
        slots = session.exec(select(SetMealSlot)).all()
        items = session.exec(select(SetMealItem)).all()
        assert slots and items
        assert {s.category for s in slots} <= categories
        assert {i.dish_id for i in items} <= dish_ids
        menu_dish_ids = set(session.exec(select(MenuItem.dish_id)).all())
        assert menu_dish_ids == dish_ids


def test_weighed_buffet_is_priced_per_100_g(seeded: Engine, cipher: FieldCipher) -> None:
    with Session(seeded) as session:
        is_weighed = sa.column("price_per_100g_cents").is_not(None)
        weighed = session.exec(select(Dish).where(is_weighed)).all()
        assert weighed and all(d.category == "buffet" for d in weighed)
        assert all(d.price_cents == d.price_per_100g_cents for d in weighed)


class FailingCipher(FieldCipher):
    """Encrypts a few phones, then fails like a broken key would."""

    def __init__(self, inner: FieldCipher, *, fail_after: int) -> None:
        self._inner, self._left = inner, fail_after

    def encrypt(self, plain: str) -> str:
        self._left -= 1
        if self._left < 0:
            raise ValueError("simulated encryption failure")
        return self._inner.encrypt(plain)

    def lookup_hash(self, plain: str) -> str:
        return self._inner.lookup_hash(plain)


def test_a_failure_half_way_leaves_nothing_behind(engine: Engine, cipher: FieldCipher) -> None:
    with Session(engine) as session, pytest.raises(SeedError):
        seed_demo(session, cipher=FailingCipher(cipher, fail_after=50))
    with Session(engine) as session:
        for model in (Organisation, Site, Dish, Menu, Member, User, SetMeal):
            assert count(session, model) == 0, model.__name__
        assert not seed_demo(session, cipher=cipher).skipped
        assert count(session, Member) >= 200
