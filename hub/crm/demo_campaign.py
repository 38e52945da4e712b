"""The demo's finished campaign: "lunch regulars", a coupon, a 20 % holdout, and its results.

Built the way a manager builds one, through the services: a coupon template
(hub.coupons.templates), a saved segment (hub.crm.segments), a campaign created and then
launched on its first day (hub.crm.campaigns: consent, cap, the stable holdout split, the
coupons and the kiosk greeting). What happened in the window is then written as order
history, the way the demo's other histories are written (hub.crm.demo_history): some
treated members came back for an extra lunch and used the coupon (redeemed through
hub.coupons.redeem, as ingest does), some came once or twice more; the held-out members
got nothing and only have the general history (hub.recommend.history) they had anyway.
Each treated member's first order in the window marks the greeting shown, as ingest's
``mark_messages_shown`` does for a kiosk order. The results page then computes reach,
redemptions and the uplift with its interval from these rows (hub.crm.campaign_results);
no figure is stored.

Seeded, and written once: a second run finds the campaign and its orders and writes
nothing. Run it after the general history (the segment is drawn from it) and before the
CRM personas, whose tag-shaping histories stay out of it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from hub.analytics.rollups import add_orders as add_to_rollups
from hub.coupons.redeem import Redemption, redeem_coupon
from hub.coupons.templates import create_template
from hub.crm.campaigns import CampaignInput, create_campaign, launch_campaign
from hub.crm.demo_history import PERSONAS, DishRow, catalogue_dishes
from hub.crm.segments import count_definition, save_segment
from hub.db_types import utcnow
from hub.models import Member, Order, OrderLine, Site
from hub.models.coupons import CouponTemplate, CouponTemplateCreate
from hub.models.crm import Segment
from hub.models.crm_campaigns import Campaign, CampaignMember, MemberMessage
from rules.order import CouponKind

CODE = "demo_lunch_regulars"
TEMPLATE_CODE = "demo_lunch_3off"
SEGMENT_NAME = "午餐常客 · Lunch regulars"
ACTOR = "admin"  # the demo's manager login (demo.cli.DEMO_LOGIN)
DEVICE = "demo-history"  # who "redeemed" the coupons: the history, not a real kiosk
ORDER_PREFIX = "CP"  # the campaign window's extra orders: how a second run finds them
WINDOW_DAYS = 14
ENDED_DAYS_AGO = 3
HOLDOUT_PERCENT = 20
MIN_SEGMENT = 10  # fewer candidates: the general history is missing, refuse
# Lunch regulars: at least four visits in the two weeks before the launch, half of them
# or more at lunch.
SEGMENT = {"kind": "all", "items": [
    {"kind": "metric", "metric": "visits", "window_days": 14, "op": ">=", "value": 4},
    {"kind": "metric", "metric": "share_meal_period", "meal_period": "lunch",
     "window_days": 14, "op": ">=", "value": 0.5}]}
# What the treated members did beyond their usual visits (seeded): about six in ten came
# back for a lunch with the coupon, and the greeting brought some once or twice more.
# Modest on purpose: ~+1.4 visits on a usual ~15 in two weeks.
REDEEM_SHARE = 0.6
EXTRA_VISITS = (0, 0, 1, 1, 2)
SEED = 13


@dataclass(frozen=True)
class Window:
    """The campaign's window in UTC and its local days (site time zone)."""

    starts_at: datetime
    ends_at: datetime
    days: tuple[date, ...]


def window_for(now: datetime, tz: ZoneInfo) -> Window:
    """Two weeks from local midnight to local midnight, ended ENDED_DAYS_AGO days ago."""
    last = now.astimezone(tz).date() - timedelta(days=ENDED_DAYS_AGO)
    first = last - timedelta(days=WINDOW_DAYS)

    def midnight(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC)

    return Window(midnight(first), midnight(last),
                  tuple(first + timedelta(days=i) for i in range(WINDOW_DAYS)))


def seed_demo_campaign(engine: Engine, site_code: str, *, now: datetime | None = None) -> int:
    """Create, launch and play out the demo campaign at ``site_code``; the number of window
    orders written (0 when they exist already). Raises LookupError for an unknown site, a
    catalogue without lunch dishes, or a site with no history to draw the segment from."""
    now = now or utcnow()
    with Session(engine) as session:
        site = session.exec(select(Site).where(Site.code == site_code)).first()
        if site is None or site.id is None:
            raise LookupError(f"no site {site_code!r}")
        site_id, tz = site.id, ZoneInfo(site.timezone)
        campaign = session.exec(select(Campaign).where(Campaign.code == CODE)).first()
        if campaign is None:
            campaign = _create(session, window_for(now, tz))
        if campaign.status == "draft":  # created by a run that stopped before the launch
            launch_campaign(session, campaign_id=campaign.id or 0, actor=ACTOR,
                            now=campaign.starts_at)
            session.refresh(campaign)
        window = Window(campaign.starts_at, campaign.ends_at,
                        window_for(campaign.ends_at + timedelta(days=ENDED_DAYS_AGO),
                                   tz).days)
        treated = session.exec(
            select(CampaignMember.member_id, CampaignMember.coupon_id)
            .where(CampaignMember.campaign_id == campaign.id, CampaignMember.arm == "treatment")
            .order_by(col(CampaignMember.member_id))).all()
        campaign_id = campaign.id or 0
    personas = _persona_ids(engine)
    o = Order.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        done = conn.execute(sa.select(sa.func.count()).select_from(o).where(
            o.c.site_id == site_id, o.c.order_no.like(f"{ORDER_PREFIX}%"))).scalar_one()
        if done:
            return 0
        # The personas' histories are built to make one rule each tag them: left as they are.
        members = [(m, c) for m, c in treated if m not in personas]
        written = _play_out(conn, site_id, tz, window, members)
        _mark_shown(conn, campaign_id, window, [m for m, _ in treated])
    return written


def _create(session: Session, window: Window) -> Campaign:
    if count_definition(session, SEGMENT, at=window.starts_at) < MIN_SEGMENT:
        raise LookupError("the demo campaign draws its segment from the order history: "
                          "write it first (canteen-hub recommend train --seed-history)")
    template = session.exec(select(CouponTemplate)
                            .where(CouponTemplate.code == TEMPLATE_CODE)).first()
    if template is None:
        template = create_template(session=session, actor=ACTOR, data=CouponTemplateCreate(
            code=TEMPLATE_CODE, name_zh="午餐立减 3 元", name_en="3 yuan off lunch",
            kind=CouponKind.AMOUNT_OFF, amount_cents=300, min_spend_cents=1200,
            valid_days=WINDOW_DAYS))
    segment = session.exec(select(Segment).where(Segment.name == SEGMENT_NAME)).first()
    if segment is None:
        segment = save_segment(session, name=SEGMENT_NAME, definition=SEGMENT, actor=ACTOR)
        session.commit()
    campaign = create_campaign(session, actor=ACTOR, now=window.starts_at - timedelta(days=2),
                               data=CampaignInput(
        code=CODE, name="午餐常客回馈 · Lunch regulars thank-you", segment_id=segment.id or 0,
        coupon_template_id=template.id, channels=["kiosk", "receipt"],
        message_zh="感谢常来用餐！两周内午餐可用立减 3 元券。",
        message_en="Thanks for lunching with us! 3 yuan off a lunch in the next two weeks.",
        holdout_percent=HOLDOUT_PERCENT, starts_at=window.starts_at, ends_at=window.ends_at))
    launch_campaign(session, campaign_id=campaign.id or 0, actor=ACTOR, now=window.starts_at)
    session.refresh(campaign)
    return campaign


def _persona_ids(engine: Engine) -> set[int]:
    m = Member.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return set(conn.execute(sa.select(m.c.id).where(
            m.c.member_no.in_([p.no for p in PERSONAS]))).scalars())


def _play_out(conn: Connection, site_id: int, tz: ZoneInfo, window: Window,
              members: Sequence[tuple[int, int | None]]) -> int:
    dishes = catalogue_dishes(conn)
    if not dishes["mild"] or not dishes["staple"]:
        raise LookupError("the catalogue has no lunch dishes (meat or vegetable, staple)")
    weekdays = [d for d in window.days if d.weekday() < 5] or list(window.days)
    rng = random.Random(SEED)
    orders: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    redeem: list[tuple[int, str, datetime]] = []

    def lunch(member_id: int, day: date, discount: int) -> tuple[str, datetime]:
        placed = datetime(day.year, day.month, day.day, 11 + rng.randint(0, 1),
                          rng.randint(0, 59), tzinfo=tz).astimezone(UTC)
        picked = [rng.choice(dishes["mild"]), rng.choice(dishes["staple"])]
        while sum(int(d.price_cents) for d in picked) < 1200:  # the coupon's minimum spend
            picked.append(rng.choice(dishes["mild"]))
        subtotal = sum(int(d.price_cents) for d in picked)
        oid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        orders.append({"id": oid, "order_no": f"{ORDER_PREFIX}{len(orders):05d}",
                       "site_id": site_id, "member_id": member_id, "placed_at": placed,
                       "meal_period": "lunch", "subtotal_cents": subtotal,
                       "discount_cents": discount, "total_cents": subtotal - discount,
                       "paid": True, "offline": False, "received_at": placed})
        lines.extend(_line(oid, n, d) for n, d in enumerate(picked, start=1))
        return oid, placed

    for member_id, coupon_id in members:
        if coupon_id is not None and rng.random() < REDEEM_SHARE:
            oid, placed = lunch(member_id, rng.choice(weekdays), 300)
            redeem.append((coupon_id, oid, placed))
        for _ in range(rng.choice(EXTRA_VISITS)):
            lunch(member_id, rng.choice(weekdays), 0)
    if not orders:
        return 0
    conn.execute(sa.insert(Order.__table__), orders)  # type: ignore[attr-defined]
    conn.execute(sa.insert(OrderLine.__table__), lines)  # type: ignore[attr-defined]
    # The dashboard's sales rollups, as ingest keeps them for the orders it stores.
    add_to_rollups(conn, orders, lines, [], {site_id: tz})
    with Session(bind=conn) as session:
        for coupon_id, oid, placed in redeem:
            outcome = redeem_coupon(session, coupon_id=coupon_id, order_id=oid,
                                    device_id=DEVICE, redeemed_at=placed)
            if outcome is not Redemption.REDEEMED:
                raise RuntimeError(f"demo coupon {coupon_id}: {outcome.value}")
        session.flush()
    return len(orders)


def _line(order_id: str, line_no: int, d: DishRow) -> dict[str, object]:
    return {"order_id": order_id, "line_no": line_no, "dish_id": d.id, "dish_code": d.code,
            "name_zh": d.name_zh, "name_en": d.name_en, "qty": 1,
            "unit_price_cents": int(d.price_cents), "line_total_cents": int(d.price_cents),
            "station": d.station}


def _mark_shown(conn: Connection, campaign_id: int, window: Window,
                member_ids: Sequence[int]) -> None:
    """Each treated member's first order in the window showed them the greeting (the kiosk
    shows it when they identify; ingest marks it at that order, mark_messages_shown)."""
    o, msg = Order.__table__, MemberMessage.__table__  # type: ignore[attr-defined]
    first = dict(conn.execute(
        sa.select(o.c.member_id, sa.func.min(o.c.placed_at))
        .where(o.c.member_id.in_(list(member_ids)), o.c.placed_at >= window.starts_at,
               o.c.placed_at < window.ends_at)
        .group_by(o.c.member_id)).tuples().all())
    for member_id in sorted(first):
        conn.execute(sa.update(msg).where(
            msg.c.campaign_id == campaign_id, msg.c.member_id == member_id,
            msg.c.delivered_at.is_(None)).values(delivered_at=first[member_id]))
