"""The model's inputs, computed the same way on the hub (training, evaluation) and the kiosk.

``history`` is the member's recency-decayed order count per dish: an order ``age`` days old
counts ``0.5 ** (age / half_life_days)``, and ``other_period_weight`` times that when it was
in another meal period (people eat differently at breakfast and lunch). ``context`` is the
one-hot of (meal period, weekday) followed by the member's stated preference tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from models.recommend.data import PERIODS, OrderLog


def context_size(n_tags: int) -> int:
    """Length of the context vector: periods x weekdays, then one slot per preference tag."""
    return len(PERIODS) * 7 + n_tags


def context_vector(
    period: int, weekday: int, prefs: Iterable[str], tags: Sequence[str]
) -> np.ndarray:
    """(1, C) float32 context: the (period, weekday) slot and the stated preference tags."""
    v = np.zeros((1, context_size(len(tags))), np.float32)
    v[0, period * 7 + weekday] = 1.0
    for tag in prefs:
        if tag in tags:
            v[0, len(PERIODS) * 7 + list(tags).index(tag)] = 1.0
    return v


def history_vector(
    events: Iterable[tuple[float, int, int]], *, now: float, period: int, n: int,
    half_life_days: float, other_period_weight: float,
) -> np.ndarray:
    """(1, n) float32 history from ``(time in days, period, dish index)`` of earlier orders."""
    h = np.zeros((1, n), np.float64)
    for t, p, d in events:
        if t <= now and 0 <= d < n:  # the order being placed is not stored yet
            w = 0.5 ** ((now - t) / half_life_days)
            h[0, d] += w if p == period else w * other_period_weight
    return h.astype(np.float32)


def history_matrix(
    log: OrderLog, queries: tuple[np.ndarray, np.ndarray, np.ndarray], *,
    half_life_days: float, other_period_weight: float,
) -> np.ndarray:
    """(Q, n) histories from ``log``'s orders for queries ``(member, time, period)``.

    Only orders strictly before the query time count, so a log holding the query's own
    order never leaks it.
    """
    member, time, period = queries
    n = len(log.dish_ids)
    out = np.zeros((member.size, n), np.float32)
    starts = np.searchsorted(log.member, np.arange(len(log.member_ids) + 1))
    lengths = np.diff(log.indptr)
    for q in range(member.size):
        a, b = starts[member[q]], starts[member[q] + 1]
        if a == b:
            continue
        t = log.time[a:b]
        w = 0.5 ** ((time[q] - t) / half_life_days)
        w = np.where(log.period[a:b] == period[q], w, w * other_period_weight)
        w = np.where(t < time[q], w, 0.0)
        lo, hi = log.indptr[a], log.indptr[b]
        out[q] = np.bincount(log.dish[lo:hi], weights=np.repeat(w, lengths[a:b]), minlength=n)
    return out
