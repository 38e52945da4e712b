"""Meal pre-booking (报餐 / 报停): book, cancel before the cut-off, pick up, release no-shows.

Money: booking *holds* the price; nothing is charged. What a member may still book is what the
accounts service says they can spend for that meal (subsidy usable then, paid and bonus stored
value) minus the holds of their other open bookings, checked under the member's account lock
(`hub.accounts.ledger.lock_account`) so two bookings at once cannot both take the last yuan.
At pick-up the booking is charged once through `hub.accounts.reconcile.post_order_payments`
with the booking's own id as the order id: the ledger posts an order id at most once, so a
retried or repeated pick-up never charges twice (it answers with the booking as it is).
Cancellation (before the cut-off) and a no-show release the hold; as nothing was charged
there is nothing to refund.

Cut-off: a rule per meal period of a site (`supply_booking_rule`): `days_before` days before
the meal day at `cutoff`, in the site's zone. Without a rule, booking closes when the meal
period starts on that day. Every refusal names the field and the reason in English and
Chinese, and writes nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from hub.accounts.audit import record_audit
from hub.accounts.ledger import lock_account
from hub.accounts.reconcile import post_order_payments
from hub.accounts.wallet import member_wallet
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.dishes import Dish
from hub.models.members import Member
from hub.models.menus import Menu, MenuItem
from hub.models.set_meals import SetMeal
from hub.models.sites import MealPeriod, Site
from hub.models.supply_bookings import (
    Booking,
    BookingCreate,
    BookingKind,
    BookingRule,
    BookingRuleIn,
    BookingStatus,
)

HELD = (BookingStatus.BOOKED,)


def _money(cents: int) -> str:
    return f"¥{cents / 100:.2f}"


class BookingRefused(InvalidInputError):
    """A booking input refused with its field; the message in English and Chinese."""

    def __init__(self, field: str, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}", field=field)


class BookingConflict(ConflictError):
    """A booking that clashes with its state (already cancelled, not enough balance...)."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}")


@dataclass(frozen=True)
class EffectiveRule:
    days_before: int
    cutoff: time
    max_days_ahead: int
    meal_price_cents: int
    enabled: bool
    stored: bool


def _site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError("site not found")
    return site


def _period(session: Session, site_id: int, period_id: int) -> MealPeriod:
    period = session.get(MealPeriod, period_id)
    if period is None or period.site_id != site_id:
        raise BookingRefused("meal_period_id", "no such meal period at this site",
                             "该食堂没有这个餐次")
    return period


def rule_for(session: Session, period: MealPeriod) -> EffectiveRule:
    """The stored rule of the meal period, or the default: close when the meal starts."""
    rule = session.exec(
        select(BookingRule).where(BookingRule.meal_period_id == period.id)).first()
    if rule is None:
        return EffectiveRule(0, period.start, 7, 0, True, False)
    return EffectiveRule(rule.days_before, rule.cutoff, rule.max_days_ahead,
                         rule.meal_price_cents, rule.enabled, True)


def cutoff_at(site: Site, rule: EffectiveRule, day: date) -> datetime:
    """When booking (and cancelling) the meal on `day` closes, as an aware time."""
    local = datetime.combine(day - timedelta(days=rule.days_before), rule.cutoff,
                             ZoneInfo(site.timezone))
    return local


def meal_end_at(site: Site, period: MealPeriod, day: date) -> datetime:
    """When the meal on `day` is over (a period may end after midnight)."""
    end_day = day + timedelta(days=1) if period.end <= period.start else day
    return datetime.combine(end_day, period.end, ZoneInfo(site.timezone))


def set_rule(session: Session, *, site_id: int, meal_period_id: int, data: BookingRuleIn,
             actor: str, at: datetime) -> BookingRule:
    """Create or replace the booking rule of a meal period (flushed)."""
    _site(session, site_id)
    _period(session, site_id, meal_period_id)
    rule = session.exec(
        select(BookingRule).where(BookingRule.meal_period_id == meal_period_id)).first()
    if rule is None:
        rule = BookingRule(site_id=site_id, meal_period_id=meal_period_id, cutoff=data.cutoff)
    for key, value in data.model_dump().items():
        setattr(rule, key, value)
    session.add(rule)
    record_audit(session, actor=actor, action="booking_rule.update", entity="booking_rule",
                 entity_id=meal_period_id, at=at, after=data.model_dump(mode="json"))
    session.flush()
    return rule


def _on_menu(session: Session, site_id: int, period_id: int, dish_id: int) -> bool:
    """A dish is bookable when the meal period has no active menu, or it is on it."""
    menus = session.exec(select(Menu.id).where(
        Menu.site_id == site_id, Menu.meal_period_id == period_id,
        col(Menu.active).is_(True))).all()
    if not menus:
        return True
    hit = session.exec(select(MenuItem.id).where(
        col(MenuItem.menu_id).in_(menus), MenuItem.dish_id == dish_id,
        col(MenuItem.available).is_(True))).first()
    return hit is not None


def _price(session: Session, data: BookingCreate, rule: EffectiveRule) -> int:
    if data.kind == BookingKind.DISH:
        if data.dish_id is None:
            raise BookingRefused("dish_id", "a dish booking names the dish",
                                 "预订菜品须指定菜品")
        if data.set_meal_id is not None:
            raise BookingRefused("set_meal_id", "a dish booking has no set meal",
                                 "预订菜品时不能指定套餐")
        dish = session.get(Dish, data.dish_id)
        if dish is None or not dish.active:
            raise BookingRefused("dish_id", "no such dish on sale", "没有这个在售菜品")
        if not _on_menu(session, data.site_id, data.meal_period_id, data.dish_id):
            raise BookingRefused("dish_id", "the dish is not on this meal's menu",
                                 "该菜品不在本餐次菜单上")
        unit = dish.price_cents
    elif data.kind == BookingKind.SET_MEAL:
        if data.set_meal_id is None:
            raise BookingRefused("set_meal_id", "a set-meal booking names the set meal",
                                 "预订套餐须指定套餐")
        if data.dish_id is not None:
            raise BookingRefused("dish_id", "a set-meal booking has no dish",
                                 "预订套餐时不能指定菜品")
        set_meal = session.get(SetMeal, data.set_meal_id)
        if set_meal is None or not getattr(set_meal, "active", True):
            raise BookingRefused("set_meal_id", "no such set meal on sale", "没有这个在售套餐")
        unit = set_meal.price_cents
    else:
        if data.dish_id is not None or data.set_meal_id is not None:
            raise BookingRefused("kind", "booking \"a meal\" names no dish or set meal",
                                 "报餐（不选菜）时不能指定菜品或套餐")
        if not rule.stored:
            raise BookingRefused("kind", "this meal period has no meal price for pre-booking",
                                 "该餐次未设置报餐价格")
        unit = rule.meal_price_cents
    return unit * data.qty


def held_cents(session: Session, member_id: int) -> int:
    """What the member's open bookings hold."""
    total = session.exec(select(func.coalesce(func.sum(Booking.price_cents), 0)).where(
        Booking.member_id == member_id, col(Booking.status).in_(list(HELD)))).one()
    return int(total)


def create_booking(session: Session, *, data: BookingCreate, now: datetime,
                   actor: str) -> Booking:
    """Book (flushed, not committed). A repeated `request_id` answers the booking it made."""
    member = session.get(Member, data.member_id)
    if member is None:
        raise NotFoundError("member not found")
    if not member.active:
        raise BookingRefused("member_id", "the member is not active", "该会员已停用")
    if data.request_id is not None:
        same = session.exec(select(Booking).where(
            Booking.member_id == data.member_id, Booking.request_id == data.request_id)).first()
        if same is not None:
            if (same.site_id, same.meal_period_id, same.day, same.kind, same.dish_id,
                    same.set_meal_id, same.qty) != (data.site_id, data.meal_period_id, data.day,
                                                    data.kind.value, data.dish_id,
                                                    data.set_meal_id, data.qty):
                raise BookingConflict("request_id was used for another booking",
                                      "该请求编号已用于另一笔预订")
            return same
    site = _site(session, data.site_id)
    period = _period(session, data.site_id, data.meal_period_id)
    rule = rule_for(session, period)
    if not rule.enabled:
        raise BookingRefused("meal_period_id", "pre-booking is off for this meal period",
                             "该餐次未开放报餐")
    zone = ZoneInfo(site.timezone)
    today = now.astimezone(zone).date()
    if data.day < today:
        raise BookingRefused("day", "the day is in the past", "日期已过")
    if data.day > today + timedelta(days=rule.max_days_ahead):
        raise BookingRefused("day", f"at most {rule.max_days_ahead} days ahead",
                             f"最多提前 {rule.max_days_ahead} 天报餐")
    closes = cutoff_at(site, rule, data.day)
    if now >= closes:
        stamp = closes.strftime("%Y-%m-%d %H:%M")
        raise BookingRefused("day", f"booking for this meal closed at {stamp}",
                             f"本餐报餐已于 {stamp} 截止")
    price = _price(session, data, rule)
    clash = session.exec(select(Booking.id).where(
        Booking.member_id == data.member_id, Booking.meal_period_id == data.meal_period_id,
        Booking.day == data.day, Booking.kind == data.kind.value,
        Booking.dish_id == data.dish_id if data.dish_id is not None
        else col(Booking.dish_id).is_(None),
        Booking.set_meal_id == data.set_meal_id if data.set_meal_id is not None
        else col(Booking.set_meal_id).is_(None),
        col(Booking.status).in_(list(HELD)))).first()
    if clash is not None:
        raise BookingConflict("already booked: change the quantity by cancelling and booking again",
                              "已预订：如需改数量请取消后重订")
    # The account lock serialises this member's bookings and payments until commit.
    lock_account(session, member_id=data.member_id, at=now)
    wallet = member_wallet(session, member_id=data.member_id, meal_period=period.code,
                           at=closes if closes > now else now).wallet
    spendable = wallet.subsidy_cents + wallet.paid_balance_cents + wallet.bonus_balance_cents
    free = spendable - held_cents(session, data.member_id)
    if price > free:
        raise BookingConflict(
            f"not enough balance: {_money(price)} needed, {_money(max(free, 0))} free "
            "after other bookings",
            f"余额不足：需要 {_money(price)}，扣除其他预订后可用 {_money(max(free, 0))}")
    booking = Booking(uid=str(uuid.uuid4()), member_id=data.member_id, site_id=data.site_id,
                      meal_period_id=data.meal_period_id, day=data.day, kind=data.kind.value,
                      dish_id=data.dish_id, set_meal_id=data.set_meal_id, qty=data.qty,
                      price_cents=price, request_id=data.request_id, created_at=now,
                      actor=actor)
    session.add(booking)
    session.flush()
    return booking


def get_booking(session: Session, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFoundError("booking not found")
    return booking


def cancel_booking(session: Session, *, booking_id: int, now: datetime, actor: str) -> Booking:
    """报停: cancel before the cut-off; the hold is released (flushed)."""
    booking = get_booking(session, booking_id)
    if booking.status != BookingStatus.BOOKED:
        raise BookingConflict(f"the booking is {booking.status}, not open",
                              f"该预订状态为 {booking.status}，不能取消")
    site = _site(session, booking.site_id)
    period = _period(session, booking.site_id, booking.meal_period_id)
    closes = cutoff_at(site, rule_for(session, period), booking.day)
    if now >= closes:
        stamp = closes.strftime("%Y-%m-%d %H:%M")
        raise BookingRefused("booking_id", f"cancelling closed at {stamp}",
                             f"已于 {stamp} 截止，不能取消")
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.actor = actor
    session.add(booking)
    session.flush()
    return booking


def pick_up(session: Session, *, booking_id: int, now: datetime, actor: str) -> Booking:
    """Hand the meal over and charge it once (flushed). A booking already picked up is
    answered as it is, with no second charge."""
    booking = get_booking(session, booking_id)
    if booking.status == BookingStatus.PICKED_UP:
        return booking
    if booking.status != BookingStatus.BOOKED:
        raise BookingConflict(f"the booking is {booking.status}",
                              f"该预订状态为 {booking.status}")
    site = _site(session, booking.site_id)
    period = _period(session, booking.site_id, booking.meal_period_id)
    if now.astimezone(ZoneInfo(site.timezone)).date() != booking.day:
        raise BookingConflict(f"the booking is for {booking.day}",
                              f"该预订的日期是 {booking.day}")
    lock_account(session, member_id=booking.member_id, at=now)
    wallet = member_wallet(session, member_id=booking.member_id, meal_period=period.code,
                           at=now).wallet
    subsidy = min(wallet.subsidy_cents, booking.price_cents)
    payments = [p for p in (_Pay("subsidy", subsidy),
                            _Pay("stored_value", booking.price_cents - subsidy)) if p.amount_cents]
    post_order_payments(session, order_id=booking.uid, member_id=booking.member_id,
                        payments=payments, offline=False, placed_at=now,
                        total_cents=booking.price_cents, meal_period=period.code,
                        actor=actor, now=now)
    booking.status = BookingStatus.PICKED_UP
    booking.picked_up_at = now
    booking.charged_cents = booking.price_cents
    booking.actor = actor
    session.add(booking)
    session.flush()
    return booking


@dataclass(frozen=True)
class _Pay:
    method: str
    amount_cents: int


def release_no_shows(session: Session, *, now: datetime, actor: str = "scheduler") -> int:
    """Mark open bookings whose meal is over as no-shows, releasing their holds (flushed)."""
    open_ = session.exec(select(Booking).where(
        Booking.status == BookingStatus.BOOKED, Booking.day <= now.date() + timedelta(days=1)
    )).all()
    sites: dict[int, Site] = {}
    periods: dict[int, MealPeriod] = {}
    released = 0
    for booking in open_:
        site = sites.get(booking.site_id) or _site(session, booking.site_id)
        sites[booking.site_id] = site
        period = periods.get(booking.meal_period_id) or session.get(
            MealPeriod, booking.meal_period_id)
        if period is None:
            continue
        periods[booking.meal_period_id] = period
        if now >= meal_end_at(site, period, booking.day):
            booking.status = BookingStatus.NO_SHOW
            booking.no_show_at = now
            booking.actor = actor
            session.add(booking)
            released += 1
    session.flush()
    return released


def list_bookings(session: Session, *, site_id: int | None = None, member_id: int | None = None,
                  day: date | None = None, status: str | None = None, limit: int = 100,
                  offset: int = 0) -> tuple[list[Booking], int]:
    stmt = select(Booking)
    count = select(func.count()).select_from(Booking)
    for cond in ((Booking.site_id == site_id) if site_id is not None else None,
                 (Booking.member_id == member_id) if member_id is not None else None,
                 (Booking.day == day) if day is not None else None,
                 (Booking.status == status) if status is not None else None):
        if cond is not None:
            stmt = stmt.where(cond)
            count = count.where(cond)
    rows = session.exec(stmt.order_by(col(Booking.day), col(Booking.id))
                        .offset(offset).limit(limit)).all()
    return list(rows), int(session.exec(count).one())


@dataclass
class HeadcountLine:
    meal_period_id: int
    kind: str
    dish_id: int | None
    set_meal_id: int | None
    name_zh: str
    name_en: str
    booked: int  # open bookings still to be picked up
    picked_up: int
    no_show: int


def headcount(session: Session, *, site_id: int, day: date) -> list[HeadcountLine]:
    """What the kitchen prepares for pre-bookings: per meal period, per dish / set meal /
    "a meal", the portions booked, picked up and not collected (cancelled ones are gone)."""
    _site(session, site_id)
    rows = session.exec(select(Booking).where(
        Booking.site_id == site_id, Booking.day == day,
        Booking.status != BookingStatus.CANCELLED)).all()
    acc: dict[tuple[int, str, int | None, int | None], dict[str, int]] = defaultdict(
        lambda: {"booked": 0, "picked_up": 0, "no_show": 0})
    for b in rows:
        acc[(b.meal_period_id, b.kind, b.dish_id, b.set_meal_id)][b.status] += b.qty
    out = []
    for (period_id, kind, dish_id, set_meal_id), n in sorted(
            acc.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0, kv[0][3] or 0)):
        zh, en = "一份餐", "A meal"
        if dish_id is not None and (dish := session.get(Dish, dish_id)) is not None:
            zh, en = dish.name_zh, dish.name_en
        elif set_meal_id is not None and (sm := session.get(SetMeal, set_meal_id)) is not None:
            zh, en = sm.name_zh, sm.name_en
        out.append(HeadcountLine(period_id, kind, dish_id, set_meal_id, zh, en,
                                 n["booked"], n["picked_up"], n["no_show"]))
    return out
