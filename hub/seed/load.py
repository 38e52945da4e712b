"""Write the demo data through the hub's tables: one transaction, idempotent."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.models import (
    Device,
    DeviceKind,
    Dish,
    DishCategory,
    DishCategoryCreate,
    DishCreate,
    KitchenStation,
    KitchenStationCreate,
    MealPeriod,
    Member,
    MemberCreate,
    Menu,
    MenuItem,
    Organisation,
    Role,
    SetMeal,
    SetMealCreate,
    SetMealItem,
    SetMealItemIn,
    SetMealKind,
    SetMealSlot,
    SetMealSlotIn,
    Site,
    User,
)
from hub.security import hash_password
from hub.seed.catalog import CATEGORIES, DISHES, STATIONS
from hub.seed.menus import MENUS, SET_MEALS
from hub.seed.people import DEMO_PASSWORD, DEMO_USERS, MemberSeed, generate_members
from hub.seed.records import Dish as DishSeed
from hub.seed.sites import REFERENCE_TIME, SITES, TIMEZONE
from hub.settings import Settings
from hub.supply.demo_seed import seed_supply

log = logging.getLogger(__name__)

SEED_ORGANISATION_CODE = SITES[0].org_code
"""The organisation whose presence means "already seeded"."""


class SeedError(RuntimeError):
    """The demo data could not be written; nothing was written."""


@dataclass(frozen=True)
class SeedSummary:
    """What seed_demo wrote (all zero and skipped=True when the data was already there)."""

    skipped: bool
    organisations: int = 0
    sites: int = 0
    meal_periods: int = 0
    devices: int = 0
    dishes: int = 0
    menus: int = 0
    menu_items: int = 0
    set_meals: int = 0
    members: int = 0
    users: int = 0
    categories: int = 0
    stations: int = 0


def _dish_row(seed: DishSeed) -> Dish:
    n = seed.nutrition
    data = DishCreate(
        code=seed.code,
        name_zh=seed.name_zh,
        name_en=seed.name_en,
        description_zh=seed.desc_zh,
        description_en=seed.desc_en,
        category=seed.category,
        station=seed.station,
        # Weighed dishes: the list and member prices are per 100 g, as rules.order expects
        # of a line with grams; price_per_100g_cents marks the dish as weighed.
        price_cents=seed.price_fen,
        member_price_cents=seed.member_price_fen,
        price_per_100g_cents=seed.price_fen if seed.per_100g else None,
        tags=sorted(seed.tags),
        allergens=sorted(seed.allergens),
        kcal=n.kcal,
        protein_g=n.protein_g,
        fat_g=n.fat_g,
        carbs_g=n.carbs_g,
        sodium_mg=n.sodium_mg,
    )
    return Dish.model_validate(data, update={"created_at": REFERENCE_TIME})


def _write_catalog_names(session: Session) -> tuple[int, int]:
    """Category and station names (validated like the API's input); returns the counts."""
    categories = [
        DishCategory.model_validate(DishCategoryCreate(
            code=c.code, name_zh=c.name_zh, name_en=c.name_en, sort_order=c.sort))
        for c in CATEGORIES
    ]
    stations = [
        KitchenStation.model_validate(KitchenStationCreate(
            code=s.code, name_zh=s.name_zh, name_en=s.name_en))
        for s in STATIONS
    ]
    return _add_all(session, categories), _add_all(session, stations)


def _member_row(seed: MemberSeed, cipher: FieldCipher, orgs: dict[str, int]) -> Member:
    data = MemberCreate(
        member_no=seed.member_no,
        name=seed.name,
        phone=seed.phone,
        employer=seed.employer,
        organisation_id=orgs[seed.org_code],
        department=seed.department,
        school_class=seed.school_class,
        birthday=seed.birthday,
        dietary_preferences=list(seed.dietary_preferences),
        allergens=list(seed.allergens),
        consent_data=seed.consent_data,
        consent_marketing=seed.consent_marketing,
        consent_face=seed.consent_face,
    )
    fields = data.model_dump(exclude={"phone", "consent_data", "consent_marketing", "consent_face"})
    phone = data.phone
    return Member(
        **fields,
        phone_encrypted=cipher.encrypt(phone) if phone else None,
        phone_hash=cipher.lookup_hash(phone) if phone else None,
        consent_data_at=seed.joined_at if seed.consent_data else None,
        consent_marketing_at=seed.joined_at if seed.consent_marketing else None,
        consent_face_at=seed.joined_at if seed.consent_face else None,
        created_at=seed.joined_at,
    )


def _add_all(session: Session, rows: Iterable[object]) -> int:
    count = 0
    for row in rows:
        session.add(row)
        count += 1
    return count


def _write_sites(session: Session) -> dict[str, int]:
    """Organisations, sites, meal periods and devices; returns counts by table."""
    counts = {"organisations": 0, "sites": 0, "meal_periods": 0, "devices": 0}
    for spec in SITES:
        org = Organisation(
            code=spec.org_code, name_zh=spec.org_name_zh, name_en=spec.org_name_en,
            created_at=REFERENCE_TIME,
        )
        session.add(org)
        session.flush()
        site = Site(
            code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en, timezone=TIMEZONE,
            organisation_id=org.id, created_at=REFERENCE_TIME,
        )
        session.add(site)
        session.flush()
        assert site.id is not None
        counts["organisations"] += 1
        counts["sites"] += 1
        counts["meal_periods"] += _add_all(session, (
            MealPeriod(site_id=site.id, code=p.code, name_zh=p.name_zh, name_en=p.name_en,
                       start=p.start, end=p.end)
            for p in spec.meal_periods
        ))
        counts["devices"] += _add_all(session, (
            Device(code=d.code, kind=DeviceKind(d.kind), site_id=site.id, name=d.name,
                   created_at=REFERENCE_TIME)
            for d in spec.devices
        ))
    session.flush()
    return counts


def _write_menus(session: Session, dish_ids: dict[str, int]) -> tuple[int, int]:
    """One menu per site and meal period with its items; returns (menus, items)."""
    sites = {s.code: s for s in session.exec(select(Site)).all()}
    periods = {(p.site_id, p.code): p for p in session.exec(select(MealPeriod)).all()}
    menus = items = 0
    for spec in MENUS:
        site = sites[spec.site_code]
        assert site.id is not None
        period = periods[(site.id, spec.period_code)]
        assert period.id is not None
        menu = Menu(site_id=site.id, meal_period_id=period.id, created_at=REFERENCE_TIME)
        session.add(menu)
        session.flush()
        assert menu.id is not None
        menus += 1
        items += _add_all(session, (
            MenuItem(menu_id=menu.id, dish_id=dish_ids[i.dish_code], available=i.available,
                     sold_out=i.sold_out, sort_order=i.sort_order)
            for i in spec.items
        ))
    return menus, items


def _write_set_meals(session: Session, dish_ids: dict[str, int]) -> int:
    """Fixed combos and build-your-own set meals, validated by the hub's SetMealCreate."""
    for spec in SET_MEALS:
        data = SetMealCreate(
            code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en,
            kind=SetMealKind(spec.kind), price_cents=spec.price_fen,
            items=[SetMealItemIn(dish_id=dish_ids[code], qty=qty) for code, qty in spec.items],
            slots=[
                SetMealSlotIn(category=s.category, min_picks=s.min_picks, max_picks=s.max_picks,
                              sort_order=(i + 1) * 10)
                for i, s in enumerate(spec.slots)
            ],
        )
        meal = SetMeal.model_validate(data, update={"created_at": REFERENCE_TIME})
        session.add(meal)
        session.flush()
        assert meal.id is not None
        _add_all(session, (SetMealItem(set_meal_id=meal.id, **i.model_dump()) for i in data.items))
        _add_all(session, (SetMealSlot(set_meal_id=meal.id, **s.model_dump()) for s in data.slots))
    return len(SET_MEALS)


def _write_users(session: Session) -> int:
    """The demo users; an existing username (say, an admin made at install) is left alone."""
    existing = set(session.exec(select(User.username)).all())
    # One argon2 hash (~0.25 s) shared by all: the demo password is public anyway.
    password_hash = hash_password(DEMO_PASSWORD)
    created = 0
    for username, role in DEMO_USERS:
        if username in existing:
            log.info("demo user %r exists; keeping its password", username)
            continue
        session.add(User(username=username, role=Role(role), created_at=REFERENCE_TIME,
                         password_hash=password_hash))
        created += 1
    return created


def seed_demo(
    session: Session, *, seed: int = 42, cipher: FieldCipher | None = None
) -> SeedSummary:
    """Write the demo canteens in one transaction; skip if the seeded organisation exists.

    Phones are encrypted with ``cipher`` (default: the keys of the hub's Settings).
    Everything but ciphertexts and password hashes (salted on purpose) is the same
    for the same ``seed``.
    """
    existing = session.exec(
        select(Organisation).where(Organisation.code == SEED_ORGANISATION_CODE)
    ).first()
    if existing is not None:
        log.info("demo data already present (organisation %r); not seeding", existing.code)
        return SeedSummary(skipped=True)
    cipher = cipher or FieldCipher.from_settings(Settings())
    try:
        counts = _write_sites(session)
        categories, stations = _write_catalog_names(session)
        dish_rows = [_dish_row(d) for d in DISHES]
        session.add_all(dish_rows)
        session.flush()
        dish_ids = {d.code: d.id for d in dish_rows if d.id is not None}
        menus, menu_items = _write_menus(session, dish_ids)
        set_meals = _write_set_meals(session, dish_ids)
        # Recipes and a first delivery into every site's stock (issue 17, hub.supply).
        seed_supply(session, dish_ids=dish_ids, at=utcnow(), site_ids=[
            s.id for s in session.exec(select(Site)) if s.id is not None])
        orgs = {o.code: o.id for o in session.exec(select(Organisation)) if o.id is not None}
        members = _add_all(session, (_member_row(m, cipher, orgs)
                                     for m in generate_members(seed)))
        users = _write_users(session)
        session.commit()
    except (SQLAlchemyError, ValueError) as err:
        session.rollback()
        raise SeedError(f"demo seed failed, nothing written: {err}") from err
    except Exception:
        session.rollback()
        raise
    summary = SeedSummary(
        skipped=False, dishes=len(dish_rows), menus=menus, menu_items=menu_items,
        set_meals=set_meals, members=members, users=users, categories=categories,
        stations=stations, **counts,
    )
    log.info("seeded demo data: %s", summary)
    return summary
