"""Recall@k and NDCG@k (binary relevance) of ranked candidates against the dishes of orders."""

from __future__ import annotations

import numpy as np

from models.recommend.model import top_k


def rank_metrics(
    scores: np.ndarray, excluded: np.ndarray, relevant: list[np.ndarray], k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per query (recall@k, ndcg@k); ``relevant[q]`` holds the dish indices of order q.

    Recall divides the hits by min(k, dishes in the order); NDCG's ideal is that many hits at
    the top. A dish of the order that was not a candidate can only miss.
    """
    idx, _ = top_k(scores, excluded, k)
    discount = 1.0 / np.log2(np.arange(2, idx.shape[1] + 2))
    recall = np.zeros(len(relevant))
    ndcg = np.zeros(len(relevant))
    for q, rel in enumerate(relevant):
        hit = np.isin(idx[q], rel) & (idx[q] >= 0)
        want = min(k, rel.size)
        recall[q] = hit.sum() / want
        ndcg[q] = (discount[: hit.size] * hit).sum() / discount[:want].sum()
    return recall, ndcg
