"""The "recommended for you" row: a Recommender interface, a popularity fallback, the dietary guard.

:class:`PopularityRecommender` ranks the dishes most ordered on this device in this meal period
(same weekday first); the ONNX model (kiosk/model_recommender.py) ranks with it as its fallback.
Whatever ranks, :func:`recommend` hands the ranker only the dishes the diner's DietaryFilter
allows (and that are not sold out) and checks again after ranking, then refills to N, so no
recommendation ever breaks a filter. :func:`explain` asks the ranker for one short line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kiosk.services.history import OrderHistory
from protocol.payloads.catalog import Dish
from rules.dietary import DietaryFilter


@dataclass(frozen=True)
class RecommendContext:
    """What a recommender may use: where, when, and who (None: a guest)."""

    site_id: str
    meal_period: str
    now: datetime
    weekday: int
    member_id: str | None = None
    preferences: tuple[str, ...] = ()  # the member's stated dietary preference codes
    period_name: tuple[str, str] = ("", "")  # zh, en: for "popular at lunch here"


@dataclass(frozen=True)
class Reason:
    """One short line saying why the row holds what it holds, in both languages."""

    zh: str
    en: str


class Recommender(Protocol):
    """Ranks candidate dishes for a diner, best first (it may return fewer or all)."""

    def rank(self, context: RecommendContext, candidates: Sequence[Dish]) -> list[str]:
        """Dish ids, best first, drawn from ``candidates``."""
        ...


class PopularityRecommender:
    """Most popular dishes of this meal period on this device: same weekday, then any day."""

    def __init__(self, history: OrderHistory) -> None:
        """Popularity comes from the device store's own order history."""
        self.history = history

    def rank(self, context: RecommendContext, candidates: Sequence[Dish]) -> list[str]:
        """Candidates by units sold (weekday, then all days), ties in menu order."""
        weekday = self.history.popularity(context.meal_period, context.weekday, now=context.now)
        anyday = self.history.popularity(context.meal_period, now=context.now)
        order = {d.id: i for i, d in enumerate(candidates)}
        sold = [d.id for d in candidates if anyday.get(d.id)]
        return sorted(sold, key=lambda i: (-weekday.get(i, 0), -anyday.get(i, 0), order[i]))

    def explain(self, context: RecommendContext, chosen: Sequence[Dish]) -> Reason | None:
        """"Popular at lunch here" when the first dish has sold in this period, else nothing."""
        if not chosen:
            return None
        sold = self.history.popularity(context.meal_period, now=context.now)
        return popular_here(context) if sold.get(chosen[0].id) else None


def popular_here(context: RecommendContext) -> Reason:
    """The line for a row ranked by this site's popularity in this meal period."""
    zh, en = context.period_name
    return Reason(f"{zh or context.meal_period}这里很受欢迎",
                  f"Popular at {en.lower() or context.meal_period} here")


def explain(recommender: Recommender, context: RecommendContext,
            chosen: Sequence[Dish]) -> Reason | None:
    """The ranker's one-line reason for the row, if it can give one."""
    method = getattr(recommender, "explain", None)
    return None if method is None else method(context, chosen)


def recommend(
    recommender: Recommender,
    context: RecommendContext,
    candidates: Sequence[Dish],
    diet: DietaryFilter,
    n: int,
) -> list[Dish]:
    """Up to ``n`` dishes: the recommender's, filtered by diet and stock, refilled from the menu."""
    allowed = [d for d in diet.apply(candidates) if not d.sold_out]
    by_id = {d.id: d for d in allowed}
    chosen: list[Dish] = []
    # the ranker sees only allowed dishes; the check below stays in case one adds others
    for dish_id in recommender.rank(context, allowed):
        dish = by_id.pop(dish_id, None)  # pop: a ranker repeating an id counts it once
        if dish is not None:
            chosen.append(dish)
        if len(chosen) >= n:
            return chosen
    # refill in menu order so the row is never short while allowed dishes remain
    chosen.extend(d for d in allowed if d.id in by_id)
    return chosen[:n]
