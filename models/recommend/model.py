"""The trained recommender's parameters and the numpy reference of its scoring.

score = w_freq * log(1 + history)                      the member's own favourites
      + (history / (1 + sum(history))) @ ease           taste neighbours (EASE, w_ease folded in)
      + context @ context_table                         site popularity for this meal period and
                                                        weekday, plus stated-preference nudges
Excluded dishes score -inf and never come out: fewer allowed dishes than k leaves the tail of
the answer as the sentinel index -1 with score -inf. The ONNX graph computes the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SENTINEL = -1
"""Index in a top-k answer where no allowed dish was left (its score is -inf)."""


@dataclass(frozen=True)
class RecommendModel:
    """Everything inference needs; ``ease`` already carries ``w_ease``."""

    dish_ids: tuple[str, ...]
    ease: np.ndarray  # float32 (n, n)
    context_table: np.ndarray  # float32 (C, n)
    w_freq: float
    half_life_days: float
    other_period_weight: float
    tags: tuple[str, ...] = ()
    catalog_version: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of dishes the model ranks."""
        return len(self.dish_ids)

    def scores(self, history: np.ndarray, context: np.ndarray) -> np.ndarray:
        """(B, n) float32 scores before masking, in the graph's operation order."""
        h = history.astype(np.float32)
        with np.errstate(all="ignore"):  # NaN/inf inputs give NaN scores: masked out later
            hn = h / (h.sum(axis=1, keepdims=True, dtype=np.float32) + np.float32(1.0))
            freq = np.log(h + np.float32(1.0)) * np.float32(self.w_freq)
            out = freq + hn @ self.ease + context.astype(np.float32) @ self.context_table
        return out.astype(np.float32)


def top_k(scores: np.ndarray, mask: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``min(k, n)`` per row among unmasked dishes: (indices int64, scores float32).

    ``mask`` is True where a dish is excluded; such a dish never comes out, and a NaN score is
    treated as excluded too. Slots with no allowed dish left hold SENTINEL and -inf.
    """
    s = np.where(mask, np.float32(-np.inf), scores).astype(np.float32)
    s = np.where(np.isnan(s), np.float32(-np.inf), s)
    kk = min(int(k), s.shape[1])
    if kk <= 0:
        return np.zeros((s.shape[0], 0), np.int64), np.zeros((s.shape[0], 0), np.float32)
    idx = np.argsort(-s, axis=1, kind="stable")[:, :kk].astype(np.int64)
    val = np.take_along_axis(s, idx, axis=1)
    valid = np.isfinite(val) & ~np.take_along_axis(mask, idx, axis=1)
    return np.where(valid, idx, SENTINEL), np.where(valid, val, np.float32(-np.inf))


def recommend_reference(
    model: RecommendModel, history: np.ndarray, context: np.ndarray, mask: np.ndarray, k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The numpy reference of the ONNX graph: top-k indices and scores."""
    return top_k(model.scores(history, context), mask.astype(bool), k)
