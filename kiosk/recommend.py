"""The "recommended for you" row: a Recommender interface, a popularity fallback, the dietary guard.

Until the ONNX recommender lands, :class:`PopularityRecommender` ranks the dishes most ordered
on this device in this meal period (same weekday first). Whatever ranks, :func:`recommend`
applies the diner's DietaryFilter *after* ranking and refills to N, so no recommendation ever
breaks a filter.
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
    for dish_id in recommender.rank(context, candidates):
        dish = by_id.pop(dish_id, None)  # pop: a ranker repeating an id counts it once
        if dish is not None:
            chosen.append(dish)
        if len(chosen) >= n:
            return chosen
    # refill in menu order so the row is never short while allowed dishes remain
    chosen.extend(d for d in allowed if d.id in by_id)
    return chosen[:n]
