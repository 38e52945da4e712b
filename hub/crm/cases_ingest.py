"""Ingest side of the CRM: feedback -> per-dish ratings and complaint cases; an order ->
the member's waiting messages marked shown.

Both run inside the ingest batch's transaction (``hub.ingest.handlers``), only for events
stored now, so a redelivered message changes nothing (and ``crm_case.source_message_id``
is unique besides). Rows are written with bulk inserts; the one UPDATE (messages shown)
touches members in ascending id order, the lock order ingest keeps (issue 20).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.crm.cases import SLA, case_priority
from hub.models.crm_campaigns import MemberMessage
from hub.models.crm_cases import ComplaintCase, DishRating
from hub.models.orders import Order, OrderLine
from protocol import FeedbackGiven, OrderPlaced

if TYPE_CHECKING:
    from hub.ingest.handlers import Stored

log = logging.getLogger(__name__)

T_RATING = DishRating.__table__  # type: ignore[attr-defined]
T_CASE = ComplaintCase.__table__  # type: ignore[attr-defined]
T_MESSAGE = MemberMessage.__table__  # type: ignore[attr-defined]
T_ORDER = Order.__table__  # type: ignore[attr-defined]
T_LINE = OrderLine.__table__  # type: ignore[attr-defined]


def record_feedback(conn: Connection, events: Sequence[Stored], counts: Counter[str]) -> None:
    """feedback.given -> a rating per dish (the order's rating for a 1.0 sender) and, for a
    low rating or a complaint tag, a complaint case on its SLA clock."""
    given = [(e, e.envelope.payload_as(FeedbackGiven)) for e in events]
    order_ids = {f.order_id for _, f in given}
    orders = {r.id: r for r in conn.execute(
        sa.select(T_ORDER.c.id, T_ORDER.c.site_id, T_ORDER.c.member_id, T_ORDER.c.placed_at,
                  T_ORDER.c.meal_period).where(T_ORDER.c.id.in_(order_ids)))}
    lines: dict[str, dict[str, Any]] = {}
    for r in conn.execute(sa.select(T_LINE.c.order_id, T_LINE.c.dish_code, T_LINE.c.name_zh,
                                    T_LINE.c.name_en, T_LINE.c.station)
                          .where(T_LINE.c.order_id.in_(order_ids))
                          .order_by(T_LINE.c.order_id, T_LINE.c.line_no)):
        lines.setdefault(r.order_id, {}).setdefault(r.dish_code, r)
    ratings: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    for e, fb in given:
        order = orders.get(fb.order_id)
        if order is None:  # the writer defers feedback before its order: cannot happen here
            continue
        dishes = lines.get(fb.order_id, {})
        base = {"order_id": fb.order_id, "site_id": order.site_id,
                "meal_period": order.meal_period, "member_id": order.member_id,
                "placed_at": order.placed_at, "created_at": e.envelope.sent_at}
        rated: list[tuple[str, int]] = []
        if fb.dishes:
            for d in fb.dishes:
                line = dishes.get(d.dish_id)
                if line is None:
                    counts["crm.rating_unknown_dish"] += 1
                    continue
                rated.append((d.dish_id, d.rating))
                ratings.append({**base, "dish_code": d.dish_id, "name_zh": line.name_zh,
                                "name_en": line.name_en, "station": line.station,
                                "rating": d.rating, "tags": list(d.tags), "per_dish": True})
        else:  # a 1.0 kiosk: the order's rating stands for each of its dishes
            for code, line in dishes.items():
                ratings.append({**base, "dish_code": code, "name_zh": line.name_zh,
                                "name_en": line.name_en, "station": line.station,
                                "rating": fb.rating, "tags": list(fb.tags), "per_dish": False})
        dish_tags = {t for d in fb.dishes for t in d.tags}
        priority = case_priority(fb.rating, set(fb.tags) | dish_tags, [r for _, r in rated])
        if priority is None:
            continue
        opened = e.envelope.sent_at
        low = [code for code, r in rated if r <= 2]
        cases.append({
            "source_message_id": e.envelope.message_id, "order_id": fb.order_id,
            "site_id": order.site_id, "member_id": order.member_id, "rating": fb.rating,
            "tags": sorted(set(fb.tags) | dish_tags), "dishes": low,
            "comment": fb.comment or "", "priority": priority, "status": "open",
            "opened_at": opened, "due_at": opened + SLA[priority], "resolution": "",
            "follow_up_zh": "", "follow_up_en": "",
        })
    if ratings:
        conn.execute(sa.insert(T_RATING), ratings)
        counts["crm.dish_ratings"] += len(ratings)
    if cases:
        cases.sort(key=lambda c: c["source_message_id"])
        known = {r[0] for r in conn.execute(sa.select(T_CASE.c.source_message_id).where(
            T_CASE.c.source_message_id.in_([c["source_message_id"] for c in cases])))}
        cases = [c for c in cases if c["source_message_id"] not in known]
        if cases:
            conn.execute(sa.insert(T_CASE), cases)
            counts["crm.cases_opened"] += len(cases)
            log.info("%d complaint case(s) opened from feedback", len(cases))


def mark_messages_shown(conn: Connection, events: Sequence[Stored],
                        counts: Counter[str]) -> None:
    """A member's order -> the messages that were waiting for them count as shown.

    The kiosk shows a member's waiting greetings and follow-ups when they identify; the
    order they then place is the hub's evidence of that visit, so no extra uplink is
    needed. A 1.0 kiosk drops the messages it cannot parse: its orders mark nothing.
    """
    first: dict[int, Any] = {}
    for e in events:
        if e.member_id is None or e.envelope.schema_version == "1.0":
            continue
        at = e.envelope.payload_as(OrderPlaced).placed_at
        if e.member_id not in first or at < first[e.member_id]:
            first[e.member_id] = at
    done = 0
    for member_id in sorted(first):  # lock order: member id (issue 20)
        at = first[member_id]
        result = conn.execute(
            sa.update(T_MESSAGE)
            .where(T_MESSAGE.c.member_id == member_id, T_MESSAGE.c.delivered_at.is_(None),
                   T_MESSAGE.c.valid_from <= at,
                   sa.or_(T_MESSAGE.c.valid_until.is_(None), T_MESSAGE.c.valid_until >= at))
            .values(delivered_at=at))
        done += int(result.rowcount or 0)
    if done:
        counts["crm.messages_shown"] += done
