"""The member's own pre-bookings (报餐 / 报停) and where today's food came from (issues 17, 19).

Everything goes through `hub.supply.bookings`: the cut-off, the "a meal" price and the
balance hold stay that service's rules; this module only fixes the member to the session's
(a request never names a member), keeps the member to the sites they may eat at
(`hub.identity.entitlement`), and answers another member's booking as "not found", exactly
like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel import Session, col, select

from hub.errors import NotFoundError
from hub.identity.entitlement import member_site_ids
from hub.models.dishes import Dish
from hub.models.members import Member
from hub.models.menus import Menu, MenuItem
from hub.models.set_meals import SetMeal
from hub.models.sites import MealPeriod, Site
from hub.models.supply_bookings import (
    MAX_DAYS_AHEAD,
    Booking,
    BookingCreate,
    BookingKind,
    BookingRequest,
    BookingStatus,
)
from hub.supply import bookings as svc
from hub.supply import stock
from protocol.payloads.bookings import BOOKING_QR_PREFIX
from rules.money import format_cents


class BookIn(BookingRequest):
    """A booking the member asks for: the booking service's input without a member id. The
    member is always the session's; a body naming one is refused (422)."""

    model_config = {"extra": "forbid"}  # noqa: RUF012  (pydantic reads it once, never mutated)

    def create(self, member_id: int) -> BookingCreate:
        """The booking service's input for this member."""
        return BookingCreate.model_validate({**self.model_dump(), "member_id": member_id})


class BookingOut(BaseModel):
    """One of the member's bookings; an open one carries its pick-up code (`BK1:<uid>`),
    the text of the QR a kiosk's scanner reads."""

    id: int
    site_id: int
    site_zh: str
    site_en: str
    meal_period_id: int
    meal_period_zh: str
    meal_period_en: str
    day: date
    kind: str
    dish_id: int | None
    set_meal_id: int | None
    name_zh: str
    name_en: str
    qty: int
    price_cents: int
    price_text: str
    status: str
    closes_at: datetime
    can_cancel: bool
    code: str | None


def pickup_code(booking: Booking) -> str:
    """The pick-up QR's text: the booking's wire id (its uid, as the bookings downlink sends
    it) behind the prefix the kiosk's scanner recognises."""
    return f"{BOOKING_QR_PREFIX}{booking.uid}"


def _actor(member_id: int) -> str:
    return f"member-web:{member_id}"


def _what(session: Session, booking: Booking) -> tuple[str, str]:
    if booking.kind == BookingKind.DISH and booking.dish_id is not None:
        dish = session.get(Dish, booking.dish_id)
        if dish is not None:
            return dish.name_zh, dish.name_en
    if booking.kind == BookingKind.SET_MEAL and booking.set_meal_id is not None:
        set_meal = session.get(SetMeal, booking.set_meal_id)
        if set_meal is not None:
            return set_meal.name_zh, set_meal.name_en
    return "一份餐", "A meal"


def _out(session: Session, booking: Booking, now: datetime) -> BookingOut:
    site = session.get(Site, booking.site_id)
    period = session.get(MealPeriod, booking.meal_period_id)
    assert site is not None and period is not None  # both cascade-delete their bookings
    closes = svc.cutoff_at(site, svc.rule_for(session, period), booking.day)
    is_open = booking.status == BookingStatus.BOOKED
    zh, en = _what(session, booking)
    return BookingOut(
        id=int(booking.id or 0), site_id=booking.site_id, site_zh=site.name_zh,
        site_en=site.name_en, meal_period_id=booking.meal_period_id,
        meal_period_zh=period.name_zh, meal_period_en=period.name_en, day=booking.day,
        kind=booking.kind, dish_id=booking.dish_id, set_meal_id=booking.set_meal_id,
        name_zh=zh, name_en=en, qty=booking.qty, price_cents=booking.price_cents,
        price_text=format_cents(booking.price_cents), status=booking.status,
        closes_at=closes, can_cancel=is_open and now < closes,
        code=pickup_code(booking) if is_open else None)


def my_bookings(session: Session, *, member_id: int, now: datetime) -> list[BookingOut]:
    """The member's bookings of today and the coming days (each site's own day), in any
    state, soonest first."""
    # A day earlier than UTC's covers every zone ahead of UTC; the site's day decides below.
    rows = session.exec(select(Booking).where(
        Booking.member_id == member_id,
        Booking.day >= now.date() - timedelta(days=1)).order_by(
        col(Booking.day), col(Booking.meal_period_id), col(Booking.id))).all()
    out = []
    for booking in rows:
        site = session.get(Site, booking.site_id)
        if site is None or booking.day < now.astimezone(ZoneInfo(site.timezone)).date():
            continue
        out.append(_out(session, booking, now))
    return out


def _member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFoundError("member not found")
    return member


def _sites_of(session: Session, member: Member) -> list[Site]:
    ids = member_site_ids(session, member.organisation_id)
    if not ids:
        return []
    return list(session.exec(select(Site).where(col(Site.id).in_(ids), col(Site.active))
                             .order_by(col(Site.id))).all())


def book(session: Session, *, member_id: int, data: BookIn, now: datetime) -> BookingOut:
    """Book for the member through the booking service (commits); refused with the field
    and reason in both languages, nothing written."""
    member = _member(session, member_id)
    if data.site_id not in {s.id for s in _sites_of(session, member)}:
        raise svc.BookingRefused("site_id", "you cannot book at this canteen",
                                 "您不能在该食堂报餐")
    booking = svc.create_booking(session, data=data.create(member_id), now=now,
                                 actor=_actor(member_id))
    session.commit()
    return _out(session, booking, now)


def _mine(session: Session, member_id: int, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None or booking.member_id != member_id:
        raise NotFoundError("booking not found")
    return booking


def cancel(session: Session, *, member_id: int, booking_id: int, now: datetime) -> BookingOut:
    """报停 one of the member's own bookings before its cut-off (commits); another member's
    booking is "not found"."""
    _mine(session, member_id, booking_id)
    booking = svc.cancel_booking(session, booking_id=booking_id, now=now,
                                 actor=_actor(member_id))
    session.commit()
    return _out(session, booking, now)


@dataclass
class Choice:
    """Something a meal period can be booked as: the form's value and its names."""

    value: str  # "meal", "dish:<id>" or "set_meal:<id>"
    name_zh: str
    name_en: str
    price_cents: int


@dataclass
class PeriodChoices:
    """One meal period of one site the member may book, with the days still open."""

    site: Site
    period: MealPeriod
    days: list[date] = field(default_factory=list)
    what: list[Choice] = field(default_factory=list)


def parse_choice(value: str) -> tuple[BookingKind, int | None, int | None]:
    """The form's "what" back to kind, dish id, set meal id (ValueError when malformed)."""
    kind, _, ident = value.partition(":")
    if kind == BookingKind.MEAL and not ident:
        return BookingKind.MEAL, None, None
    if kind in (BookingKind.DISH, BookingKind.SET_MEAL) and ident.isdigit():
        number = int(ident)
        return (BookingKind(kind), number if kind == BookingKind.DISH else None,
                number if kind == BookingKind.SET_MEAL else None)
    raise ValueError(f"not a booking choice: {value!r}")


def choices(session: Session, *, member_id: int, now: datetime) -> list[PeriodChoices]:
    """What the booking form offers: per site the member may eat at and meal period with
    booking on, the days whose cut-off is still ahead, and the dishes on the period's menu
    (with set meals, and "a meal" where the canteen priced it). The service decides again
    when the form comes back."""
    member = _member(session, member_id)
    set_meals = session.exec(select(SetMeal).where(col(SetMeal.active))
                             .order_by(col(SetMeal.id))).all()
    out = []
    for site in _sites_of(session, member):
        today = now.astimezone(ZoneInfo(site.timezone)).date()
        periods = session.exec(select(MealPeriod).where(MealPeriod.site_id == site.id)
                               .order_by(col(MealPeriod.start))).all()
        for period in periods:
            rule = svc.rule_for(session, period)
            if not rule.enabled:
                continue
            ahead = min(rule.max_days_ahead, MAX_DAYS_AHEAD)
            days = [d for d in (today + timedelta(days=n) for n in range(ahead + 1))
                    if now < svc.cutoff_at(site, rule, d)]
            what: list[Choice] = []
            if rule.stored:
                what.append(Choice("meal", "一份餐", "A meal", rule.meal_price_cents))
            dishes = session.exec(
                select(Dish).join(MenuItem, col(MenuItem.dish_id) == Dish.id)
                .join(Menu, col(Menu.id) == MenuItem.menu_id)
                .where(Menu.site_id == site.id, Menu.meal_period_id == period.id,
                       col(Menu.active), col(MenuItem.available), col(Dish.active),
                       col(Dish.price_per_100g_cents).is_(None))
                .order_by(col(MenuItem.sort_order), col(Dish.id))).all()
            seen: set[int] = set()
            for dish in dishes:  # a dish on two active menus is offered once
                if dish.id is not None and dish.id not in seen:
                    seen.add(dish.id)
                    what.append(Choice(f"dish:{dish.id}", dish.name_zh, dish.name_en,
                                       dish.price_cents))
            what += [Choice(f"set_meal:{m.id}", m.name_zh, m.name_en, m.price_cents)
                     for m in set_meals]
            if days and what:
                out.append(PeriodChoices(site, period, days, what))
    return out


@dataclass(frozen=True)
class DishOrigin:
    """A dish on today's menu and where its main ingredients came from."""

    dish_zh: str
    dish_en: str
    origins: tuple[stock.Origin, ...]


@dataclass(frozen=True)
class SiteOrigins:
    """A canteen's published origins."""

    site_zh: str
    site_en: str
    dishes: tuple[DishOrigin, ...]


def todays_origins(session: Session, *, member_id: int, now: datetime) -> list[SiteOrigins]:
    """Where the main ingredients of the dishes on today's menus came from (supplier, lot
    date), for the sites the member eats at or has a booking at; only canteens that publish
    it (`stock.origins` is empty otherwise), so nothing is shown elsewhere."""
    member = _member(session, member_id)
    sites = {int(s.id or 0): s for s in _sites_of(session, member)}
    booked = session.exec(select(Booking.site_id).where(
        Booking.member_id == member_id, Booking.day >= now.date() - timedelta(days=1))).all()
    for site_id in set(booked) - set(sites):
        site = session.get(Site, site_id)
        if site is not None and site.active:
            sites[site_id] = site
    out = []
    conn = session.connection()
    for site_id, site in sorted(sites.items()):
        found = stock.origins(conn, site_id)
        if not found:
            continue
        names = {d.code: d for d in session.exec(
            select(Dish).where(col(Dish.code).in_(list(found)))).all()}
        dishes = tuple(DishOrigin(names[code].name_zh, names[code].name_en, origins)
                       for code, origins in sorted(found.items()) if code in names)
        if dishes:
            out.append(SiteOrigins(site.name_zh, site.name_en, dishes))
    return out
