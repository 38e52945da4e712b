"""Offline evaluation: the model against three baselines on one time split of one order log.

Per member, orders sorted by time, the last 20 % (at least one) are held out. Each held-out
order is ranked among the dishes served on its day when menus are given (as the kiosk masks),
else among all dishes. Every method learns from the training orders only, and the model is
trained by :func:`models.recommend.train.train`, the hub's own training code.
"""

from __future__ import annotations

import numpy as np

from models.recommend.data import OrderLog, menu_matrix
from models.recommend.features import history_matrix
from models.recommend.metrics import rank_metrics
from models.recommend.train import Progress, candidate_mask, queries_of, relevant_of, train

HOLDOUT = 0.2
TIE = 1e-6  # baselines break ties by popularity, scaled below one count


def time_split(log: OrderLog, holdout: float = HOLDOUT) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) boolean masks over orders: each member's last ``holdout`` share, >= 1."""
    starts = np.flatnonzero(np.r_[True, log.member[1:] != log.member[:-1]])
    ends = np.r_[starts[1:], log.n_orders]
    test = np.zeros(log.n_orders, bool)
    for a, b in zip(starts, ends, strict=True):
        held = max(1, int(np.floor((b - a) * holdout + 1e-9)))
        test[b - held:b] = True
    return ~test, test


def _member_counts(log: OrderLog, members: np.ndarray) -> np.ndarray:
    n = len(log.dish_ids)
    counts = np.zeros((len(log.member_ids), n))
    np.add.at(counts, (np.repeat(log.member, np.diff(log.indptr)), log.dish), 1.0)
    return counts[members]


def _period_popularity(log: OrderLog) -> np.ndarray:
    n = len(log.dish_ids)
    pop = np.zeros((4, n))
    np.add.at(pop, (np.repeat(log.period, np.diff(log.indptr)), log.dish), 1.0)
    return pop


def baselines(train_log: OrderLog, queries: tuple[np.ndarray, np.ndarray, np.ndarray],
              ) -> dict[str, np.ndarray]:
    """Scores of popularity per meal period, the member's own favourites and item-kNN."""
    pop = _period_popularity(train_log)
    overall = pop.sum(0)
    member, _time, period = queries
    pp = pop[period] + TIE * overall[None, :]
    tie = TIE * pp / max(float(pp.max()), 1.0)
    counts = _member_counts(train_log, member)
    # item-kNN: cosine similarity of dish columns, 50 nearest neighbours kept per dish
    everyone = _member_counts(train_log, np.arange(len(train_log.member_ids)))
    x = (everyone > 0).astype(float)
    g = x.T @ x
    norm = np.sqrt(np.diag(g))
    sim = g / np.maximum(norm[:, None] * norm[None, :], 1e-9)
    np.fill_diagonal(sim, 0.0)
    if sim.shape[0] > 50:
        cut = -np.partition(-sim, 49, axis=0)[49]
        sim = np.where(sim >= cut[None, :], sim, 0.0)
    knn = (counts > 0).astype(float) @ sim
    return {"popularity": pp, "personal": counts + tie, "item_knn": knn + tie}


def evaluate(
    log: OrderLog, menus: dict[int, set[str]] | None = None, *, k: int = 10,
    progress: Progress | None = None,
) -> dict[str, dict[str, float]]:
    """``{"model": {"recall@k", "ndcg@k"}, "popularity", "personal", "item_knn"}``."""
    train_mask, test_mask = time_split(log)
    train_log = log.subset(train_mask)
    served = menu_matrix(menus, log.dish_ids) if menus else None
    test = np.flatnonzero(test_mask)
    queries = queries_of(log, test)
    excluded = candidate_mask(log, test, served)
    relevant = relevant_of(log, test)
    train_days = set(train_log.day.tolist())
    train_menus = {d: v for d, v in served.items() if d in train_days} if served else None
    model = train(train_log, menus=train_menus, progress=progress)
    out: dict[str, dict[str, float]] = {}
    chunk = 4096
    methods: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for a in range(0, test.size, chunk):
        q = tuple(x[a:a + chunk] for x in queries)
        h = history_matrix(train_log, q, half_life_days=model.half_life_days,  # type: ignore[arg-type]
                           other_period_weight=model.other_period_weight)
        ctx = np.zeros((q[0].size, model.context_table.shape[0]), np.float32)
        ctx[np.arange(q[0].size), q[2].astype(int) * 7 + log.weekday[test[a:a + chunk]]] = 1.0
        scored = {"model": model.scores(h, ctx), **baselines(train_log, q)}  # type: ignore[arg-type]
        for name, s in scored.items():
            methods.setdefault(name, []).append(
                rank_metrics(s, excluded[a:a + chunk], relevant[a:a + chunk], k))
    for name in ("model", "popularity", "personal", "item_knn"):
        recall = np.concatenate([r for r, _ in methods[name]])
        ndcg = np.concatenate([n for _, n in methods[name]])
        out[name] = {f"recall@{k}": round(float(recall.mean()), 6),
                     f"ndcg@{k}": round(float(ndcg.mean()), 6)}
    return out
