"""Definition tree -> one SQL predicate on member ids, the same text on SQLite and PostgreSQL.

Each leaf becomes ``member.id IN (SELECT member_id FROM orders ... GROUP BY member_id
HAVING ...)`` (or NOT IN when a member with no orders at all satisfies it, e.g. "fewer
than 2 visits"), so a whole rule or segment is one set-based statement over all members
(or over the members an ingest batch touched); nothing loops over members in Python.
Local time (weekday, local day) uses each site's UTC offset at the evaluation time.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.crm import definitions as d
from hub.models import Dish, Member, Order, OrderLine, OrderLineModifier, Site
from hub.models.accounts import MemberAccount
from hub.models.crm import MemberScore, MemberTag

M = Member.__table__  # type: ignore[attr-defined]
O = Order.__table__  # type: ignore[attr-defined]  # noqa: E741
L = OrderLine.__table__  # type: ignore[attr-defined]
LM = OrderLineModifier.__table__  # type: ignore[attr-defined]
ACC = MemberAccount.__table__  # type: ignore[attr-defined]
SITE = Site.__table__  # type: ignore[attr-defined]
DISH = Dish.__table__  # type: ignore[attr-defined]
TAG = MemberTag.__table__  # type: ignore[attr-defined]
SCORE = MemberScore.__table__  # type: ignore[attr-defined]
DEFAULT_TZ = "Asia/Shanghai"

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}


@dataclass
class Context:
    """What a compilation needs: the time, the dialect, dish ids and site offsets."""

    conn: Connection
    at: datetime
    state: dict[str, Any] = field(default_factory=dict)  # cached cut-offs (rule.state)
    offsets: dict[int, int] = field(default_factory=dict)  # site id -> UTC offset seconds
    local_month: int = 1
    fresh_state: dict[str, Any] = field(default_factory=dict)  # cut-offs computed now

    @property
    def postgres(self) -> bool:
        """Whether the connection is PostgreSQL (else SQLite)."""
        return self.conn.dialect.name == "postgresql"


def make_context(conn: Connection, at: datetime, state: dict[str, Any] | None = None) -> Context:
    """A compilation context at ``at``: every site's UTC offset then, the local month."""
    offsets: dict[int, int] = {}
    for site_id, tz in conn.execute(sa.select(SITE.c.id, SITE.c.timezone)):
        offsets[site_id] = _offset(tz, at)
    zone = next(iter(conn.execute(sa.select(SITE.c.timezone).order_by(SITE.c.id).limit(1))
                     .scalars()), DEFAULT_TZ)
    try:
        month = at.astimezone(ZoneInfo(zone)).month
    except (KeyError, ValueError):
        month = at.month
    return Context(conn=conn, at=at, state=dict(state or {}), offsets=offsets,
                   local_month=month)


def _offset(tz: str, at: datetime) -> int:
    try:
        off = at.astimezone(ZoneInfo(tz)).utcoffset()
    except (KeyError, ValueError):
        off = at.astimezone(ZoneInfo(DEFAULT_TZ)).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


# ---- local time -------------------------------------------------------------------------

def _offset_expr(ctx: Context) -> Any:
    values = set(ctx.offsets.values()) or {_offset(DEFAULT_TZ, ctx.at)}
    if len(values) == 1:
        return sa.literal(values.pop(), sa.Integer)
    default = _offset(DEFAULT_TZ, ctx.at)
    return sa.case(*((O.c.site_id == sid, off) for sid, off in ctx.offsets.items()),
                   else_=default)


def local_dow(ctx: Context) -> Any:
    """Day of the week of an order in its site's local time, 0 = Sunday."""
    off = _offset_expr(ctx)
    if ctx.postgres:
        shifted = sa.func.timezone("UTC", O.c.placed_at) + off * sa.text("interval '1 second'")
        return sa.cast(sa.extract("dow", shifted), sa.Integer)
    return sa.cast(sa.func.strftime("%w", O.c.placed_at, sa.cast(off, sa.String) + " seconds"),
                   sa.Integer)


def local_day(ctx: Context) -> Any:
    """The local calendar day of an order (a visit day)."""
    off = _offset_expr(ctx)
    if ctx.postgres:
        shifted = sa.func.timezone("UTC", O.c.placed_at) + off * sa.text("interval '1 second'")
        return sa.cast(shifted, sa.Date)
    return sa.func.date(O.c.placed_at, sa.cast(off, sa.String) + " seconds")


# ---- pieces ----------------------------------------------------------------------------

def in_window(ctx: Context, days: int | None) -> Any:
    """Orders of members, placed at or before ``at`` and within the last ``days``."""
    cond = sa.and_(O.c.member_id.is_not(None), O.c.placed_at <= ctx.at)
    if days is not None:
        cond = sa.and_(cond, O.c.placed_at > ctx.at - timedelta(days=days))
    return cond


def dish_ids(ctx: Context, match: d.DishMatch) -> list[int]:
    """Ids of dishes matching by tag, category or station (dishes are few: read them)."""
    tags, cats, stations = set(match.tags), set(match.categories), set(match.stations)
    out = []
    for dish_id, dtags, cat, station in ctx.conn.execute(
        sa.select(DISH.c.id, DISH.c.tags, DISH.c.category, DISH.c.station)
    ):
        if (tags & set(dtags or [])) or cat in cats or station in stations:
            out.append(dish_id)
    return sorted(out)


def has_dish(ctx: Context, match: d.DishMatch) -> Any:
    """EXISTS: the order holds a line of a matching dish (or at a matching station)."""
    ids = dish_ids(ctx, match)
    cond = L.c.dish_id.in_(ids) if ids else sa.false()
    if match.stations:
        cond = sa.or_(cond, L.c.station.in_(match.stations))
    return sa.exists().where(L.c.order_id == O.c.id, cond)


def _share(cond: Any) -> Any:
    return sa.func.avg(sa.case((cond, 1.0), else_=0.0))


def metric_expr(ctx: Context, leaf: d.MetricLeaf) -> Any:
    """The aggregate of one member's orders that a metric leaf compares."""
    if leaf.metric == "visits":
        return sa.func.count(O.c.id)
    if leaf.metric == "spend_cents":
        return sa.func.coalesce(sa.func.sum(O.c.total_cents), 0)
    if leaf.metric == "distinct_days":
        return sa.func.count(sa.distinct(local_day(ctx)))
    if leaf.metric == "share_meal_period":
        return _share(O.c.meal_period == leaf.meal_period)
    if leaf.metric == "share_weekdays":
        return _share(local_dow(ctx).between(1, 5))
    if leaf.metric == "share_weekends":
        return _share(local_dow(ctx).in_([0, 6]))
    assert leaf.dish is not None
    return _share(has_dish(ctx, leaf.dish))


def _grouped(ctx: Context, days: int | None, having: Any) -> Any:
    return (sa.select(O.c.member_id).where(in_window(ctx, days))
            .group_by(O.c.member_id).having(having))


def _compare(expr: Any, op: str, value: Any) -> Any:
    return _OPS[op](expr, value)


# ---- leaves ----------------------------------------------------------------------------

def _metric(ctx: Context, leaf: d.MetricLeaf) -> Any:
    expr = metric_expr(ctx, leaf)
    if _OPS[leaf.op](0, leaf.value):
        # Zero satisfies it (e.g. fewer than 2 visits): members without orders match too.
        return M.c.id.not_in(_grouped(ctx, leaf.window_days, sa.not_(_compare(
            expr, leaf.op, leaf.value))))
    return M.c.id.in_(_grouped(ctx, leaf.window_days, _compare(expr, leaf.op, leaf.value)))



def top_cutoff(ctx: Context, leaf: d.TopPercentLeaf) -> float | None:
    """The smallest value still in the top ``percent`` % (None: nobody active)."""
    value = (sa.func.sum(O.c.total_cents) if leaf.metric == "spend_cents"
             else sa.func.count(O.c.id))
    per = (sa.select(value.label("v")).where(in_window(ctx, leaf.window_days))
           .group_by(O.c.member_id).subquery())
    ranked = sa.select(per.c.v, sa.func.cume_dist().over(order_by=per.c.v.desc()).label("cd"))
    ranked_sq = ranked.subquery()
    cutoff = ctx.conn.execute(sa.select(sa.func.min(ranked_sq.c.v))
                              .where(ranked_sq.c.cd <= leaf.percent / 100.0)).scalar()
    return None if cutoff is None else float(cutoff)


def _top_percent(ctx: Context, leaf: d.TopPercentLeaf) -> Any:
    key = f"top:{leaf.metric}:{leaf.window_days}:{leaf.percent}"
    if key in ctx.state:
        cutoff = ctx.state[key]
    else:
        cutoff = top_cutoff(ctx, leaf)
        ctx.fresh_state[key] = cutoff
    if cutoff is None:
        return sa.false()
    value = (sa.func.sum(O.c.total_cents) if leaf.metric == "spend_cents"
             else sa.func.count(O.c.id))
    return M.c.id.in_(_grouped(ctx, leaf.window_days, value >= cutoff))


def last_orders(ctx: Context, days: int | None, extra: Any = None, *,
                members: Sequence[int] | None = None) -> Any:
    """Orders numbered per member, newest first (rn), with their placed time."""
    cond = in_window(ctx, days)
    if extra is not None:
        cond = sa.and_(cond, extra)
    if members is not None:
        cond = sa.and_(cond, O.c.member_id.in_(members))
    rn = sa.func.row_number().over(partition_by=O.c.member_id,
                                   order_by=(O.c.placed_at.desc(), O.c.id.desc()))
    return sa.select(O.c.member_id, O.c.id, O.c.placed_at, rn.label("rn")).where(cond)


def _consecutive(ctx: Context, leaf: d.ConsecutiveLeaf) -> Any:
    ranked = last_orders(ctx, leaf.window_days).add_columns(
        sa.case((has_dish(ctx, leaf.dish), 1), else_=0).label("hit")).subquery()
    return M.c.id.in_(
        sa.select(ranked.c.member_id).where(ranked.c.rn <= leaf.count)
        .group_by(ranked.c.member_id)
        .having(sa.and_(sa.func.count() == leaf.count, sa.func.sum(ranked.c.hit) == leaf.count))
    )


_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "=="}


def _recency(ctx: Context, leaf: d.RecencyLeaf) -> Any:
    # days since last op N  <=>  last visit (flipped op) at - N days
    bound = ctx.at - timedelta(days=leaf.days)
    last = sa.func.max(O.c.placed_at)
    if leaf.op == "==":
        having = sa.and_(last <= bound, last > bound - timedelta(days=1))
    else:
        having = _compare(last, _FLIP[leaf.op], bound)
    return M.c.id.in_(_grouped(ctx, None, having))


def _first_visit(ctx: Context, leaf: d.FirstVisitLeaf) -> Any:
    return M.c.id.in_(_grouped(ctx, None, sa.func.min(O.c.placed_at)
                               > ctx.at - timedelta(days=leaf.within_days)))


def _rate_drop(ctx: Context, leaf: d.RateDropLeaf) -> Any:
    split = ctx.at - timedelta(days=leaf.recent_days)
    recent = sa.func.sum(sa.case((O.c.placed_at > split, 1), else_=0))
    base = sa.func.sum(sa.case((O.c.placed_at <= split, 1), else_=0))
    scale = leaf.ratio * leaf.recent_days / leaf.baseline_days
    having = sa.and_(base >= leaf.min_baseline_visits, recent < base * scale)
    return M.c.id.in_(_grouped(ctx, leaf.recent_days + leaf.baseline_days, having))


def modifier_orders(ctx: Context, code: str, days: int | None) -> Any:
    """Orders (member_id, order id) with a line carrying the modifier ``code``."""
    return (sa.select(O.c.member_id, O.c.id)
            .select_from(O.join(L, L.c.order_id == O.c.id).join(LM, LM.c.order_line_id == L.c.id))
            .where(in_window(ctx, days),
                   # a kiosk sends "<group>_<choice>" (kiosk.services.ordering): match both
                   sa.or_(LM.c.code == code, LM.c.code.endswith("_" + code, autoescape=True))))


def _modifier(ctx: Context, leaf: d.ModifierLeaf) -> Any:
    sq = modifier_orders(ctx, leaf.code, leaf.window_days).subquery()
    return M.c.id.in_(sa.select(sq.c.member_id).group_by(sq.c.member_id)
                      .having(sa.func.count(sa.distinct(sq.c.id)) >= leaf.min_count))


def _birthday(ctx: Context, leaf: d.BirthdayLeaf) -> Any:
    return sa.and_(M.c.birthday.is_not(None),
                   sa.cast(sa.extract("month", M.c.birthday), sa.Integer) == ctx.local_month)


def _site(ctx: Context, leaf: d.SiteLeaf) -> Any:
    return M.c.id.in_(sa.select(O.c.member_id).select_from(O.join(SITE, SITE.c.id == O.c.site_id))
                      .where(in_window(ctx, leaf.window_days), SITE.c.code.in_(leaf.codes)))


def _score(ctx: Context, leaf: d.ScoreLeaf) -> Any:
    return M.c.id.in_(sa.select(SCORE.c.member_id).where(
        _compare(SCORE.c[leaf.field], leaf.op, leaf.value)))


def predicate(ctx: Context, node: Any) -> Any:
    """The SQL condition on ``member.id`` that a definition tree stands for."""
    if isinstance(node, d.AllNode):
        return sa.and_(*(predicate(ctx, n) for n in node.items))
    if isinstance(node, d.AnyNode):
        return sa.or_(*(predicate(ctx, n) for n in node.items))
    if isinstance(node, d.NotNode):
        return sa.not_(predicate(ctx, node.item))
    if isinstance(node, d.MetricLeaf):
        return _metric(ctx, node)
    if isinstance(node, d.TopPercentLeaf):
        return _top_percent(ctx, node)
    if isinstance(node, d.ConsecutiveLeaf):
        return _consecutive(ctx, node)
    if isinstance(node, d.RecencyLeaf):
        return _recency(ctx, node)
    if isinstance(node, d.FirstVisitLeaf):
        return _first_visit(ctx, node)
    if isinstance(node, d.RateDropLeaf):
        return _rate_drop(ctx, node)
    if isinstance(node, d.ModifierLeaf):
        return _modifier(ctx, node)
    if isinstance(node, d.BirthdayLeaf):
        return _birthday(ctx, node)
    if isinstance(node, d.TierLeaf):
        return M.c.id.in_(sa.select(ACC.c.member_id).where(ACC.c.tier_code.in_(node.codes)))
    if isinstance(node, d.DepartmentLeaf):
        return sa.or_(M.c.department.in_(node.names), M.c.school_class.in_(node.names))
    if isinstance(node, d.SiteLeaf):
        return _site(ctx, node)
    if isinstance(node, d.TagLeaf):
        return M.c.id.in_(sa.select(TAG.c.member_id).where(TAG.c.tag == node.tag))
    if isinstance(node, d.ScoreLeaf):
        return _score(ctx, node)
    raise TypeError(f"unknown definition node {type(node).__name__}")


def matching(ctx: Context, node: Any, *, members: Sequence[int] | None = None,
             active_only: bool = True) -> Any:
    """SELECT member.id of every member the tree matches (optionally among ``members``)."""
    cond = predicate(ctx, node)
    if active_only:
        cond = sa.and_(M.c.active.is_(True), cond)
    if members is not None:
        cond = sa.and_(M.c.id.in_(members), cond)
    return sa.select(M.c.id).where(cond)
