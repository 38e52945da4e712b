"""Mining the orders: dishes bought together, and groups of diners who eat alike.

Dishes bought together are association rules found by FP-growth (mlxtend) over the range's
orders, one basket per order, optionally within one meal period: support (share of orders
with both sides), confidence (share of orders with the left side that also have the right)
and lift (how much more often than chance). A pair with a high lift is a set meal to offer.

Diner groups are k-means clusters (scikit-learn) of the members who ordered at least
MIN_ORDERS times in the range, on standardised RFM and taste features (share of orders per
meal period, at weekends, and share of spend per dish category); k is chosen by the
silhouette score. Each group is described by what sets it apart from the average diner, so
a manager can turn it into a CRM segment.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from hub.analytics.inputs import DateRange, SiteRef, placed_in_site_days
from hub.models.dishes import Dish
from hub.models.members import Member
from hub.models.orders import Order, OrderLine

MIN_ORDERS = 2
"""A member needs this many orders in the range to be grouped (one order says little)."""
MAX_RULES = 30
MEAL_PERIODS = ("breakfast", "lunch", "dinner", "late_snack")


@dataclass(frozen=True, slots=True)
class Rule:
    """If an order has ``left`` it often also has ``right``."""

    left: tuple[str, ...]  # dish codes
    right: tuple[str, ...]
    left_names: tuple[str, ...]
    right_names: tuple[str, ...]
    orders: int  # orders with both sides
    support: float
    confidence: float
    lift: float


@dataclass(frozen=True, slots=True)
class Rules:
    """The rules of a range (and meal period), with how many baskets were mined."""

    baskets: int
    rules: list[Rule]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def baskets(session: Session, days: DateRange, sites: Sequence[SiteRef],
            meal_period: str | None = None) -> tuple[list[set[str]], dict[str, tuple[str, str]]]:
    """Each order's set of dish codes, and each code's (Chinese, English) name."""
    stmt = (sa.select(col(OrderLine.order_id), col(OrderLine.dish_code), col(OrderLine.name_zh),
                      col(OrderLine.name_en))
            .join(Order, col(Order.id) == OrderLine.order_id)
            .where(placed_in_site_days(days, sites)))
    if meal_period:
        stmt = stmt.where(col(Order.meal_period) == meal_period)
    per_order: dict[str, set[str]] = defaultdict(set)
    names: dict[str, tuple[str, str]] = {}
    for order_id, code, zh, en in session.execute(stmt):
        per_order[order_id].add(code)
        names[code] = (zh, en)
    return list(per_order.values()), names


def association_rules(found: list[set[str]], names: dict[str, tuple[str, str]], *,
                      min_support: float, min_confidence: float, lang: str) -> Rules:
    """FP-growth frequent itemsets (up to three dishes), then rules with lift above 1."""
    import pandas as pd
    from mlxtend.frequent_patterns import association_rules as mine_rules
    from mlxtend.frequent_patterns import fpgrowth

    if len(found) < 2:
        return Rules(len(found), [])
    codes = sorted({c for b in found for c in b})
    frame = pd.DataFrame([[c in b for c in codes] for b in found], columns=codes, dtype=bool)
    itemsets = fpgrowth(frame, min_support=min_support, use_colnames=True, max_len=3)
    if itemsets.empty or int(itemsets["itemsets"].map(len).max()) < 2:
        return Rules(len(found), [])
    table = mine_rules(itemsets, metric="confidence", min_threshold=min_confidence)
    table = table[table["lift"] > 1.0]
    index = 1 if lang == "en" else 0
    rules = []
    for row in table.itertuples():
        left = tuple(sorted(row.antecedents))
        right = tuple(sorted(row.consequents))
        rules.append(Rule(left, right, tuple(names[c][index] for c in left),
                          tuple(names[c][index] for c in right),
                          round(row.support * len(found)), round(float(row.support), 4),
                          round(float(row.confidence), 4), round(float(row.lift), 3)))
    rules.sort(key=lambda r: (-r.lift, -r.support, r.left, r.right))
    return Rules(len(found), rules[:MAX_RULES])


# --- diner groups ---------------------------------------------------------------------------

@dataclass(slots=True)
class DinerFeatures:
    """One member's behaviour in the range: RFM and taste."""

    member_id: int
    member_no: str
    orders: int
    spend_cents: int
    recency_days: float
    periods: dict[str, float] = field(default_factory=dict)  # share of orders
    weekend: float = 0.0
    categories: dict[str, float] = field(default_factory=dict)  # share of spend


@dataclass(frozen=True, slots=True)
class DinerGroup:
    """One cluster: its size, typical figures and what sets it apart."""

    number: int
    members: int
    orders_per_member: float
    average_ticket_cents: int
    recency_days: float
    main_period: str
    main_category: str
    traits: list[tuple[str, float]]  # (feature, z-score of the group's mean), strongest first
    member_nos: list[str]


@dataclass(frozen=True, slots=True)
class Grouping:
    """The groups found, with how many members qualified and the silhouette of the choice."""

    eligible: int
    groups: list[DinerGroup]
    silhouette: float | None


def diner_features(session: Session, days: DateRange, sites: Sequence[SiteRef]
                   ) -> list[DinerFeatures]:
    """RFM and taste of every member with at least MIN_ORDERS orders in the range."""
    zones = {s.id: s.zone for s in sites}
    orders = session.execute(
        sa.select(col(Order.id), col(Order.member_id), col(Member.member_no),
                  col(Order.site_id), col(Order.placed_at), col(Order.meal_period),
                  col(Order.total_cents))
        .join(Member, col(Member.id) == Order.member_id)
        .where(placed_in_site_days(days, sites))).all()
    per: dict[int, list[tuple[str, datetime, str, int]]] = defaultdict(list)
    numbers: dict[int, str] = {}
    for order_id, member_id, member_no, site_id, placed, period, total in orders:
        per[member_id].append((order_id, _aware(placed).astimezone(zones[site_id]),
                               period or "", total))
        numbers[member_id] = member_no
    keep = {m for m, found in per.items() if len(found) >= MIN_ORDERS}
    spend: dict[int, Counter[str]] = defaultdict(Counter)
    if keep:
        lines = session.execute(
            sa.select(col(Order.member_id), col(Dish.category), col(OrderLine.line_total_cents))
            .join(Order, col(Order.id) == OrderLine.order_id)
            .join(Dish, col(Dish.id) == OrderLine.dish_id, isouter=True)
            .where(placed_in_site_days(days, sites), col(Order.member_id).in_(keep)))
        for member_id, category, cents in lines:
            spend[member_id][category or "-"] += cents
    end = max((t for found in per.values() for _, t, _, _ in found), default=None)
    features = []
    for member_id in sorted(keep):
        found = per[member_id]
        n = len(found)
        last = max(t for _, t, _, _ in found)
        total = sum(spend[member_id].values()) or 1
        features.append(DinerFeatures(
            member_id, numbers[member_id], n, sum(c for *_, c in found),
            ((end - last).total_seconds() / 86_400) if end else 0.0,
            {p: sum(1 for _, _, mp, _ in found if mp == p) / n for p in MEAL_PERIODS},
            sum(1 for _, t, _, _ in found if t.weekday() >= 5) / n,
            {c: v / total for c, v in spend[member_id].items()}))
    return features


def group_diners(features: list[DinerFeatures], *, max_groups: int = 6,
                 seed: int = 0) -> Grouping:
    """k-means on standardised features, k from 2..max_groups by silhouette (deterministic)."""
    if len(features) < 6:
        return Grouping(len(features), [], None)
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    categories = sorted({c for f in features for c in f.categories})
    names = ["orders", "average_ticket", "recency_days", "weekend",
             *(f"period:{p}" for p in MEAL_PERIODS), *(f"category:{c}" for c in categories)]
    raw = np.array([[f.orders, f.spend_cents / f.orders, f.recency_days, f.weekend,
                     *(f.periods.get(p, 0.0) for p in MEAL_PERIODS),
                     *(f.categories.get(c, 0.0) for c in categories)] for f in features],
                   dtype=float)
    scaled = StandardScaler().fit_transform(raw)
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, min(max_groups, len(features) - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(scaled)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(scaled, labels))
        if best is None or score > best[0] + 1e-9:
            best = (score, labels)
    if best is None:
        return Grouping(len(features), [], None)
    score, labels = best
    groups = []
    order = sorted(set(labels.tolist()), key=lambda g: -int((labels == g).sum()))
    for number, g in enumerate(order, start=1):
        rows = [f for f, label in zip(features, labels.tolist(), strict=True) if label == g]
        z = scaled[labels == g].mean(axis=0)
        traits = sorted(((names[i], round(float(z[i]), 2)) for i in range(len(names))
                         if abs(z[i]) >= 0.5), key=lambda t: -abs(t[1]))[:4]
        n_orders = sum(f.orders for f in rows)
        period_share = {p: sum(f.periods.get(p, 0) * f.orders for f in rows) for p in MEAL_PERIODS}
        category_spend: defaultdict[str, float] = defaultdict(float)
        for f in rows:
            for c, share in f.categories.items():
                category_spend[c] += share * f.spend_cents
        groups.append(DinerGroup(
            number, len(rows), round(n_orders / len(rows), 1),
            round(sum(f.spend_cents for f in rows) / n_orders),
            round(sum(f.recency_days for f in rows) / len(rows), 1),
            max(period_share, key=lambda p: period_share[p]),
            max(category_spend, key=lambda c: category_spend[c]) if category_spend else "-",
            traits, sorted(f.member_no for f in rows)[:20]))
    return Grouping(len(features), groups, round(score, 3) if math.isfinite(score) else None)
