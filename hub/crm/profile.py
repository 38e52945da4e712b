"""The member profile (客户画像): who the member is and what their orders say about them.

Reads through the other domains' services (accounts for balances and the ledger, coupons
for coupons, identity's search) and adds what the CRM learns from orders: favourite
dishes, stations and meal periods, typical spend, modifiers seen three times or more,
tags with why, RFM and churn. Every load writes an audit record (``crm.profile.view``):
who looked at whose personal data, when.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit
from hub.accounts.ledger import list_entries, read_account
from hub.coupons.issue import member_coupons
from hub.coupons.templates import list_templates
from hub.crm import query as q
from hub.crm.tags import TagView, member_tags
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import NotFoundError
from hub.models import Member, Organisation
from hub.models.accounts import LedgerEntry, MemberAccount
from hub.models.crm import MemberScore

LEARN_FROM_ORDERS = 200  # the member's newest orders the preferences are learnt from
MODIFIER_MIN = 3  # a modifier counts as a preference once seen this often
RECENT_ORDERS = 10


@dataclass(frozen=True)
class Preference:
    """One learnt preference: what, how often, and its share of the orders looked at."""

    key: str
    name_zh: str
    name_en: str
    count: int
    share: float


@dataclass(frozen=True)
class Learnt:
    """Preferences learnt from the member's orders."""

    orders: int
    dishes: list[Preference] = field(default_factory=list)
    stations: list[Preference] = field(default_factory=list)
    meal_periods: list[Preference] = field(default_factory=list)
    modifiers: list[Preference] = field(default_factory=list)
    typical_spend_cents: int | None = None


@dataclass(frozen=True)
class RecentOrder:
    """One of the newest orders."""

    id: str
    order_no: str
    placed_at: datetime
    site: str
    total_cents: int
    dishes: list[str]


@dataclass(frozen=True)
class MemberProfile:
    """Everything the profile page and GET /crm/members/{id} show."""

    member: Member
    phone_masked: str
    organisation: str | None
    account: MemberAccount
    ledger: Sequence[LedgerEntry]
    coupons: list[dict[str, Any]]
    tags: list[TagView]
    score: MemberScore | None
    learnt: Learnt
    recent: list[RecentOrder]


def mask_phone(phone: str | None) -> str:
    """``13812345678 -> 138****5678``."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:2] + "*" * max(len(phone) - 2, 0)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def _top(counter: dict[str, list[Any]], total: int, limit: int, *,
         minimum: int = 1) -> list[Preference]:
    rows = sorted(counter.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [Preference(k, v[1], v[2], v[0], v[0] / total if total else 0.0)
            for k, v in rows[:limit] if v[0] >= minimum]


def learn(session: Session, member_id: int) -> Learnt:
    """Favourite dishes, stations, meal periods, typical spend and modifiers from orders."""
    conn = session.connection()
    newest = (sa.select(q.O.c.id, q.O.c.total_cents, q.O.c.meal_period)
              .where(q.O.c.member_id == member_id)
              .order_by(q.O.c.placed_at.desc()).limit(LEARN_FROM_ORDERS).subquery())
    orders = conn.execute(sa.select(newest)).all()
    if not orders:
        return Learnt(orders=0)
    n = len(orders)
    periods: dict[str, list[Any]] = {}
    for _, _, period in orders:
        if period:
            periods.setdefault(period, [0, period, period])[0] += 1
    dishes: dict[str, list[Any]] = {}
    stations: dict[str, list[Any]] = {}
    line_rows = conn.execute(
        sa.select(q.L.c.order_id, q.L.c.dish_code, q.L.c.name_zh, q.L.c.name_en, q.L.c.station)
        .where(q.L.c.order_id.in_(sa.select(newest.c.id)))).all()
    seen_dish: set[tuple[str, str]] = set()
    seen_station: set[tuple[str, str]] = set()
    for order_id, code, zh, en, station in line_rows:
        if (order_id, code) not in seen_dish:  # per order: twice in one order is one visit
            seen_dish.add((order_id, code))
            dishes.setdefault(code, [0, zh, en])[0] += 1
        if (order_id, station) not in seen_station:
            seen_station.add((order_id, station))
            stations.setdefault(station, [0, station, station])[0] += 1
    mods: dict[str, list[Any]] = {}
    for code, zh, en, count in conn.execute(
        sa.select(q.LM.c.code, sa.func.min(q.LM.c.name_zh), sa.func.min(q.LM.c.name_en),
                  sa.func.count(sa.distinct(q.L.c.order_id)))
        .select_from(q.LM.join(q.L, q.L.c.id == q.LM.c.order_line_id))
        .where(q.L.c.order_id.in_(sa.select(newest.c.id))).group_by(q.LM.c.code)):
        mods[code] = [int(count), zh, en]
    # A kiosk sends "<group>_<choice>" (kiosk.services.ordering) where another sends the
    # choice alone: "herbs_no_coriander" counts as "no_coriander" when both are seen.
    for code in sorted(mods, key=len, reverse=True):
        short = next((c for c in mods if c != code and code.endswith("_" + c)), None)
        if short is not None:
            mods[short][0] += mods.pop(code)[0]
    return Learnt(
        orders=n, dishes=_top(dishes, n, 5), stations=_top(stations, n, 3),
        meal_periods=_top(periods, n, 4), modifiers=_top(mods, n, 10, minimum=MODIFIER_MIN),
        typical_spend_cents=int(statistics.median(o[1] for o in orders)),
    )


def recent_orders(session: Session, member_id: int, limit: int = RECENT_ORDERS
                  ) -> list[RecentOrder]:
    """The member's newest orders with their dishes."""
    conn = session.connection()
    rows = conn.execute(
        sa.select(q.O.c.id, q.O.c.order_no, q.O.c.placed_at, q.SITE.c.code, q.O.c.total_cents)
        .select_from(q.O.join(q.SITE, q.SITE.c.id == q.O.c.site_id))
        .where(q.O.c.member_id == member_id).order_by(q.O.c.placed_at.desc()).limit(limit)
    ).all()
    names: dict[str, list[str]] = {}
    if rows:
        for order_id, name in conn.execute(
            sa.select(q.L.c.order_id, q.L.c.name_zh).where(q.L.c.order_id.in_([r[0] for r in rows]))
            .order_by(q.L.c.order_id, q.L.c.line_no)):
            names.setdefault(order_id, []).append(name)
    out = []
    for oid, no, placed, site, total in rows:
        if placed.tzinfo is None:  # SQLite through Core: the stored UTC wall time
            placed = placed.replace(tzinfo=UTC)
        out.append(RecentOrder(oid, no, placed, site, int(total), names.get(oid, [])))
    return out


def load_profile(session: Session, *, cipher: FieldCipher, member_id: int, actor: str,
                 at: datetime | None = None) -> MemberProfile:
    """The whole profile; writes and commits the audit record of this view."""
    member = session.get(Member, member_id)
    if member is None:
        raise NotFoundError(f"member {member_id} not found")
    phone = cipher.decrypt(member.phone_encrypted) if member.phone_encrypted else None
    org = session.get(Organisation, member.organisation_id) if member.organisation_id else None
    templates = {t.id: t for t in list_templates(session=session)}
    coupons = []
    for c in member_coupons(session=session, member_id=member_id):
        t = templates.get(c.template_id)
        coupons.append({"id": c.id, "status": c.status, "valid_until": c.valid_until,
                        "name_zh": t.name_zh if t else str(c.template_id),
                        "name_en": t.name_en if t else str(c.template_id)})
    ledger, _ = list_entries(session, member_id=member_id, limit=10, offset=0)
    profile = MemberProfile(
        member=member, phone_masked=mask_phone(phone),
        organisation=None if org is None else f"{org.name_zh} / {org.name_en}",
        account=read_account(session, member_id=member_id), ledger=ledger, coupons=coupons,
        tags=member_tags(session, member_id), score=session.get(MemberScore, member_id),
        learnt=learn(session, member_id), recent=recent_orders(session, member_id),
    )
    record_audit(session, actor=actor, action="crm.profile.view", entity="member",
                 entity_id=member_id, member_id=member_id, at=at or utcnow(),
                 note="member profile viewed")
    session.commit()
    return profile


@dataclass(frozen=True)
class MemberHit:
    """A search result."""

    id: int
    member_no: str
    name: str
    department: str
    employer: str
    tags: list[str]


def search(session: Session, text: str, *, limit: int = 25) -> list[MemberHit]:
    """Members whose name, member number, department or employer contains ``text``."""
    text = text.strip()[:60]
    stmt = select(Member).order_by(col(Member.id)).limit(limit)
    if text:
        like = f"%{text}%"
        stmt = stmt.where(sa.or_(col(Member.name).like(like), col(Member.member_no).like(like),
                                 col(Member.department).like(like),
                                 col(Member.employer).like(like)))
    return hits(session, session.exec(stmt).all())


def hits(session: Session, members: Sequence[Member]) -> list[MemberHit]:
    """Search results for ``members`` (in their order), each with the member's tags."""
    ids = [m.id for m in members if m.id is not None]
    tag_map: dict[int, list[str]] = {}
    if ids:
        for mid, tag in session.connection().execute(
            sa.select(q.TAG.c.member_id, q.TAG.c.tag).where(q.TAG.c.member_id.in_(ids))
            .order_by(q.TAG.c.tag)):
            tag_map.setdefault(mid, []).append(tag)
    return [MemberHit(m.id or 0, m.member_no, m.name, m.department or m.school_class or "",
                      m.employer or "", tag_map.get(m.id or 0, [])) for m in members]
