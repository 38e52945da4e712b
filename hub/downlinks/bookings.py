"""Build a site's ``bookings.snapshot`` (the day's pre-bookings and the kitchen's plan) and
publish it retained.

What a kiosk needs to hand a booked meal over with the hub unreachable: every booking of
the site's current business day (site time zone) that is open or already picked up, with
the member number, the meal period and dish / set meal codes as the catalog names them,
and the price held. Cancelled and no-show bookings are left out. With them goes the plan:
the newest stored forecast of the day per meal period and dish, which the kitchen display
shows (the forecast job runs nightly; nothing is computed here).

Versions: a snapshot's version is the time it was built in epoch milliseconds, moved only
when the content changed since the version this process last sent (the publisher keeps
the digest, like the catalog's ``unless_version``), and never below the last one + 1. A
restarted publisher re-sends its first snapshot with a newer version, which a device
applies as it would the same content (the retained copy is replaced, nothing else).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from hub.db_types import utcnow
from hub.downlinks.catalog import HUB_ID, Published, Publisher, UnknownSite
from hub.downlinks.status import first_error
from hub.models import Dish, MealPeriod, SetMeal, Site
from hub.models.members import Member
from hub.models.supply_bookings import Booking, BookingStatus
from hub.models.supply_forecast import ForecastRow, ForecastRun
from protocol import encode, make_envelope
from protocol.payloads.bookings import BookedMeal, BookingsSnapshot, PlannedDish

log = logging.getLogger(__name__)

BOOKINGS = "bookings"
_SENT = (BookingStatus.BOOKED.value, BookingStatus.PICKED_UP.value)


def _t(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def bookings_content(engine: Engine, site_code: str, now: datetime) -> dict[str, Any]:
    """The snapshot's content (service date and bookings) for the site's day at ``now``."""
    site, b, mp, dish, sm, m = (_t(Site).c, _t(Booking).c, _t(MealPeriod).c, _t(Dish).c,
                                _t(SetMeal).c, _t(Member).c)
    with engine.connect() as conn:
        row = conn.execute(sa.select(site.id, site.timezone)
                           .where(site.code == site_code, site.active)).first()
        if row is None:
            raise UnknownSite(f"no active site {site_code!r}")
        day = now.astimezone(ZoneInfo(row.timezone)).date()
        rows = conn.execute(
            sa.select(b.uid, m.member_no, mp.code, b.kind, dish.code.label("dish"),
                      dish.name_zh.label("dish_zh"), dish.name_en.label("dish_en"),
                      sm.code.label("set_meal"), sm.name_zh.label("sm_zh"),
                      sm.name_en.label("sm_en"), b.qty, b.price_cents, b.status)
            .join_from(_t(Booking), _t(Member), m.id == b.member_id)
            .join(_t(MealPeriod), mp.id == b.meal_period_id)
            .outerjoin(_t(Dish), dish.id == b.dish_id)
            .outerjoin(_t(SetMeal), sm.id == b.set_meal_id)
            .where(b.site_id == row.id, b.day == day, b.status.in_(_SENT))
            .order_by(b.id)
        ).all()
    out = []
    for r in rows:
        zh, en = "一份餐", "A meal"
        if r.kind == "dish":
            if r.dish is None:
                continue  # the dish was deleted since: nothing a kiosk could hand over
            zh, en = r.dish_zh, r.dish_en
        elif r.kind == "set_meal":
            if r.set_meal is None:
                continue
            zh, en = r.sm_zh, r.sm_en
        item = {"booking_id": r.uid, "member_id": r.member_no, "meal_period": r.code,
                    "kind": r.kind, "dish_id": r.dish if r.kind == "dish" else None,
                    "set_meal_id": r.set_meal if r.kind == "set_meal" else None,
                    "qty": r.qty, "price_cents": r.price_cents, "name_zh": zh, "name_en": en,
                    "status": r.status}
        try:
            BookedMeal.model_validate(item)
        except ValidationError as err:  # one bad row never keeps the others from the kiosks
            log.warning("site %s: booking %s left out of the bookings downlink: %s",
                        site_code, r.uid, first_error(err))
            continue
        out.append(item)
    return {"service_date": day.isoformat(), "bookings": out,
            "plan": _plan(engine, row.id, day, site_code)}


def _plan(engine: Engine, site_id: int, day: date, site_code: str) -> list[dict[str, Any]]:
    """The newest stored forecast run covering ``day``: portions per meal period and dish
    (rounded; the forecast is never below the portions booked, hub.supply.forecast)."""
    run, fc, mp, dish = (_t(ForecastRun).c, _t(ForecastRow).c, _t(MealPeriod).c, _t(Dish).c)
    with engine.connect() as conn:
        run_id = conn.execute(
            sa.select(run.id).where(run.site_id == site_id, run.start <= day)
            .where(sa.exists().where(fc.run_id == run.id, fc.day == day))
            .order_by(run.created_at.desc(), run.id.desc()).limit(1)).scalar()
        if run_id is None:
            return []
        rows = conn.execute(
            sa.select(mp.code, dish.code, dish.name_zh, dish.name_en, fc.portions)
            .join_from(_t(ForecastRow), _t(MealPeriod), mp.id == fc.meal_period_id)
            .join(_t(Dish), dish.id == fc.dish_id)
            .where(fc.run_id == run_id, fc.day == day)
            .order_by(mp.start, dish.code)).all()
    out = []
    for period, code, zh, en, portions in rows:
        item = {"meal_period": period, "dish_id": code, "name_zh": zh, "name_en": en,
                "forecast": min(100_000, max(0, round(portions)))}
        try:
            PlannedDish.model_validate(item)
        except ValidationError as err:
            log.warning("site %s: plan of dish %s left out of the bookings downlink: %s",
                        site_code, code, first_error(err))
            continue
        out.append(item)
    return out


class BookingsPublisher:
    """Publishes each site's bookings snapshot when its content moved (one per process)."""

    def __init__(self, engine: Engine, publisher: Publisher) -> None:
        self.engine, self.publisher = engine, publisher
        self.sent: dict[str, tuple[str, int]] = {}  # site -> (digest, version) published

    def publish(self, site_code: str, *, now: datetime | None = None) -> Published | None:
        """Build and publish the site's snapshot; None when unchanged since the last one."""
        now = now or utcnow()
        content = bookings_content(self.engine, site_code, now)
        digest = hashlib.sha256(
            json.dumps(content, sort_keys=True).encode()).hexdigest()
        last = self.sent.get(site_code)
        if last is not None and last[0] == digest:
            return None
        version = max(int(time.time() * 1000), (last[1] + 1) if last else 1)
        snapshot = BookingsSnapshot.model_validate(
            {"version": version, "generated_at": now, **content})
        env = make_envelope("bookings.snapshot", snapshot, site=site_code, device=HUB_ID)
        raw = encode(env)
        topic = env.topic()
        self.publisher.publish(topic, raw, qos=env.spec.qos, retain=env.spec.retain)
        self.sent[site_code] = (digest, version)
        log.info("bookings v%d of site %s published (%d bookings, %d bytes)", version,
                 site_code, len(snapshot.bookings), len(raw))
        return Published(site_code, version, topic, len(raw))
