"""Meal pre-booking on frozen time: cut-off, cancel, hold, pick-up charged once, no-shows,
headcount; every refusal names the field and writes nothing. SQLite, and PostgreSQL once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from hub.accounts.ledger import read_account
from hub.accounts.stored_value import top_up
from hub.db import make_engine
from hub.errors import ConflictError, InvalidInputError
from hub.migrate import upgrade_to_head
from hub.models.accounts import LedgerEntry
from hub.models.supply_bookings import Booking, BookingCreate, BookingKind, BookingRuleIn
from hub.settings import Settings
from hub.supply import bookings as svc
from tests.conftest import PG_URL
from tests.support.hub_db import migrated_engine
from tests.support.supply_demand import make_dishes, make_member, make_site

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 8)  # a Tuesday


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), ZONE)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        eng = make_engine(Settings(_env_file=None, database_url=PG_URL, db_schema=schema,
                                   demo_mode=True,
                                   data_dir=tmp_path))
        upgrade_to_head(eng, schema=schema)
    else:
        eng = migrated_engine(tmp_path)
    yield eng
    eng.dispose()


def _setup(session: Session, balance_cents: int = 3000) -> dict[str, int]:
    site_id, (breakfast, lunch) = make_site(session, periods=2)
    (dish,) = make_dishes(session, 1, price_cents=1200)
    member = make_member(session)
    session.commit()
    if balance_cents:
        top_up(session, member_id=member, amount_cents=balance_cents, method="cash",
               actor="test", at=at(date(2026, 12, 1), 6))
    # Lunch: book until 10:00 the same day; a meal costs ¥10.
    svc.set_rule(session, site_id=site_id, meal_period_id=lunch,
                 data=BookingRuleIn(days_before=0, cutoff=time(10, 0), meal_price_cents=1000),
                 actor="test", at=at(DAY, 6))
    session.commit()
    return {"site": site_id, "lunch": lunch, "breakfast": breakfast, "dish": dish,
            "member": member}


def _book(ids: dict[str, int], **over: object) -> BookingCreate:
    data: dict[str, object] = {"member_id": ids["member"], "site_id": ids["site"],
                               "meal_period_id": ids["lunch"], "day": DAY,
                               "kind": BookingKind.DISH, "dish_id": ids["dish"]}
    data.update(over)
    return BookingCreate(**data)  # type: ignore[arg-type]


def _counts(session: Session) -> tuple[int, int]:
    return (session.exec(select(func.count()).select_from(Booking)).one(),
            session.exec(select(func.count()).select_from(LedgerEntry)).one())


def test_book_before_cutoff_refused_after_nothing_written(engine: Engine) -> None:
    with Session(engine) as s:
        ids = _setup(s)
        booking = svc.create_booking(s, data=_book(ids), now=at(DAY, 9, 59), actor="m")
        s.commit()
        assert booking.price_cents == 1200 and booking.status == "booked"
        before = _counts(s)
        with pytest.raises(InvalidInputError) as err:
            svc.create_booking(s, data=_book(ids, kind=BookingKind.MEAL, dish_id=None),
                               now=at(DAY, 10, 0), actor="m")
        s.rollback()
        assert err.value.field == "day" and "10:00" in err.value.message
        assert "截止" in err.value.message
        assert _counts(s) == before
        # Without a rule, breakfast closes when it starts (07:00); "a meal" needs a price.
        with pytest.raises(InvalidInputError) as err:
            svc.create_booking(s, data=_book(ids, meal_period_id=ids["breakfast"]),
                               now=at(DAY, 7, 0), actor="m")
        assert err.value.field == "day"
        s.rollback()
        with pytest.raises(InvalidInputError) as err:
            svc.create_booking(s, data=_book(ids, meal_period_id=ids["breakfast"],
                                             kind=BookingKind.MEAL, dish_id=None),
                               now=at(DAY, 6, 0), actor="m")
        assert err.value.field == "kind"
        s.rollback()
        for bad, field in ((_book(ids, day=date(2026, 12, 7)), "day"),
                           (_book(ids, day=date(2026, 12, 30)), "day"),
                           (_book(ids, dish_id=None), "dish_id")):
            with pytest.raises(InvalidInputError) as err:
                svc.create_booking(s, data=bad, now=at(DAY, 8), actor="m")
            assert err.value.field == field
            s.rollback()
        assert _counts(s) == before


def test_hold_limits_bookings_cancel_releases_it(engine: Engine) -> None:
    with Session(engine) as s:
        ids = _setup(s, balance_cents=2000)
        first = svc.create_booking(s, data=_book(ids), now=at(DAY, 8), actor="m")
        s.commit()
        # ¥20 balance, ¥12 held: a ¥10 meal does not fit, and nothing is charged yet.
        with pytest.raises(ConflictError, match="not enough balance"):
            svc.create_booking(s, data=_book(ids, kind=BookingKind.MEAL, dish_id=None,
                                             day=date(2026, 12, 9)), now=at(DAY, 8), actor="m")
        s.rollback()
        assert read_account(s, member_id=ids["member"]).paid_cents == 2000
        with pytest.raises(ConflictError, match="already booked"):
            svc.create_booking(s, data=_book(ids), now=at(DAY, 8), actor="m")
        s.rollback()
        assert first.id is not None
        svc.cancel_booking(s, booking_id=first.id, now=at(DAY, 9), actor="m")
        s.commit()
        again = svc.create_booking(s, data=_book(ids, kind=BookingKind.MEAL, dish_id=None,
                                                 day=date(2026, 12, 9)),
                                   now=at(DAY, 9), actor="m")
        s.commit()
        assert again.price_cents == 1000
        # Cancelling after the cut-off is refused with the field.
        assert again.id is not None
        with pytest.raises(InvalidInputError) as err:
            svc.cancel_booking(s, booking_id=again.id, now=at(date(2026, 12, 9), 10, 5),
                               actor="m")
        assert err.value.field == "booking_id"
        s.rollback()


def test_request_id_retry_books_once(engine: Engine) -> None:
    with Session(engine) as s:
        ids = _setup(s)
        one = svc.create_booking(s, data=_book(ids, request_id="req-0001"), now=at(DAY, 8),
                                 actor="m")
        s.commit()
        two = svc.create_booking(s, data=_book(ids, request_id="req-0001"), now=at(DAY, 8),
                                 actor="m")
        assert one.id == two.id
        assert _counts(s)[0] == 1


def test_pick_up_charges_once_no_show_released_headcount(engine: Engine) -> None:
    with Session(engine) as s:
        ids = _setup(s, balance_cents=5000)
        dish = svc.create_booking(s, data=_book(ids), now=at(DAY, 8), actor="m")
        meal = svc.create_booking(s, data=_book(ids, kind=BookingKind.MEAL, dish_id=None,
                                                qty=2), now=at(DAY, 8), actor="m")
        s.commit()
        heads = {h.kind: h for h in svc.headcount(s, site_id=ids["site"], day=DAY)}
        assert heads["dish"].booked == 1 and heads["meal"].booked == 2
        assert dish.id is not None and meal.id is not None
        svc.pick_up(s, booking_id=dish.id, now=at(DAY, 12), actor="kiosk")
        s.commit()
        svc.pick_up(s, booking_id=dish.id, now=at(DAY, 12, 1), actor="kiosk")  # a retry
        s.commit()
        assert read_account(s, member_id=ids["member"]).paid_cents == 5000 - 1200
        # The meal nobody collected: released after lunch ends, never charged.
        assert svc.release_no_shows(s, now=at(DAY, 13, 0)) == 0
        assert svc.release_no_shows(s, now=at(DAY, 13, 31)) == 1
        s.commit()
        s.refresh(meal)
        assert meal.status == "no_show"
        assert read_account(s, member_id=ids["member"]).paid_cents == 5000 - 1200
        assert svc.held_cents(s, ids["member"]) == 0
        heads = {h.kind: h for h in svc.headcount(s, site_id=ids["site"], day=DAY)}
        assert heads["dish"].picked_up == 1 and heads["meal"].no_show == 2
        with pytest.raises(ConflictError):
            svc.cancel_booking(s, booking_id=meal.id, now=at(DAY, 14), actor="m")
