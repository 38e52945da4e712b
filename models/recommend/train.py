"""Training: EASE item-item weights, popularity per meal period and weekday, and the blend.

Everything is closed form or counting, so a million orders train in seconds with numpy
alone. The blend weights (and EASE's regularisation, the recency half-life and how much other
meal periods count) are chosen on a validation split carved out of the training orders only:
each member's last order is held out, components are fitted on the rest, a small coordinate
search maximises NDCG@10, and the components are refitted on all the orders given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from models.recommend.data import PERIODS, OrderLog
from models.recommend.features import context_size, history_matrix
from models.recommend.metrics import rank_metrics
from models.recommend.model import RecommendModel

Progress = Callable[[str, float], None]
PREF_TAGS = ("vegetarian", "vegan", "halal", "light", "low_salt", "low_sugar")
"""Stated preference tags the context carries (a member's profile preferences)."""


@dataclass(frozen=True)
class DishContent:
    """What a catalog says about a dish: the cold start's features for dishes without orders."""

    category: str
    station: str
    tags: tuple[str, ...] = ()
    price_cents: int = 0


@dataclass(frozen=True)
class Params:
    """Hyper-parameters; :func:`train` tunes the first six on the validation split."""

    w_freq: float = 1.0
    w_ease: float = 4.0
    w_weekday: float = 0.5
    half_life_days: float = 28.0
    other_period_weight: float = 0.3
    ease_lambda: float = 0.5  # times the mean item count on the Gram diagonal
    pseudo_orders: float = 50.0  # popularity shrinkage towards the content prior
    content_weight: float = 0.1  # content pseudo-rows in the Gram matrix (cold-start dishes)
    w_pref: float = 0.4  # stated-preference nudge per matching tag


GRID: dict[str, tuple[float, ...]] = {
    "w_freq": (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0),
    "w_ease": (0.0, 1.0, 4.0, 16.0, 64.0),
    "w_weekday": (0.0, 0.5, 1.0),
    "other_period_weight": (0.05, 0.15, 0.3, 0.6, 1.0),
    "half_life_days": (7.0, 14.0, 28.0, 56.0, 1e6),
    "ease_lambda": (0.02, 0.1, 0.5),
}


@dataclass(frozen=True)
class Components:
    """Fitted pieces the blend weights combine."""

    ease: np.ndarray  # (n, n), zero diagonal
    log_pop: np.ndarray  # (P, n) log of the share of a period's orders holding the dish
    lift: np.ndarray  # (P, 7, n) weekday log-lift over log_pop
    tag_matrix: np.ndarray  # (T, n) 1 where the dish carries the preference tag


def _counts(log: OrderLog, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = log.order_of_row()
    days = log.day
    d0 = int(days.min()) if days.size else 0
    nd = int(days.max()) - d0 + 1 if days.size else 1
    c = np.zeros((len(PERIODS), 7, n))
    np.add.at(c, (log.period[rows], log.weekday[rows], log.dish), 1.0)
    per_day = np.zeros((len(PERIODS), nd))
    np.add.at(per_day, (log.period, days - d0), 1.0)
    return c, per_day, np.arange(d0, d0 + nd)


def _exposure(log: OrderLog, n: int, per_day: np.ndarray, day_numbers: np.ndarray,
              menus: dict[int, np.ndarray] | None) -> np.ndarray:
    """(P, 7, n): orders of each period and weekday placed while the dish was on offer."""
    if menus:
        served = np.array([menus.get(int(d), np.zeros(n, bool)) for d in day_numbers])
        known = np.array([int(d) in menus for d in day_numbers])
        served[~known] = True  # a day without a menu row: every dish counts as offered
    else:
        first = np.full(n, day_numbers[-1] + 1)
        rows_day = np.repeat(log.day, np.diff(log.indptr))
        np.minimum.at(first, log.dish, rows_day)
        served = day_numbers[:, None] >= first[None, :]
    wd = (day_numbers + 3) % 7
    e = np.zeros((len(PERIODS), 7, n))
    for w in range(7):
        sel = wd == w
        e[:, w, :] = per_day[:, sel] @ served[sel].astype(float)
    return e


def _popularity(log: OrderLog, n: int, menus: dict[int, np.ndarray] | None,
                content: Sequence[DishContent | None] | None, params: Params,
                ) -> tuple[np.ndarray, np.ndarray]:
    c, per_day, day_numbers = _counts(log, n)
    e = _exposure(log, n, per_day, day_numbers, menus)
    cp, ep = c.sum(1), e.sum(1)  # (P, n)
    overall = (cp.sum() + 1.0) / (ep.sum() + n)
    glob = np.where(ep.sum(1) > 0, (cp.sum(1) + 1.0) / (ep.sum(1) + n), overall)[:, None]
    prior = np.repeat(glob, n, axis=1)
    if content:
        groups: dict[str, list[int]] = {}
        for i, dc in enumerate(content):
            if dc is not None:
                groups.setdefault(dc.category, []).append(i)
        for members in groups.values():
            idx = np.asarray(members)
            cat_rate = (cp[:, idx].sum(1) + glob[:, 0] * 5) / (ep[:, idx].sum(1) + 5)
            prior[:, idx] = cat_rate[:, None]
    a = params.pseudo_orders
    rate = (cp + a * prior) / (ep + a)
    rate_wd = (c + a * rate[:, None, :]) / (e + a)
    return np.log(rate), np.log(rate_wd) - np.log(rate)[:, None, :]


def _gram(log: OrderLog, n: int) -> np.ndarray:
    """X^T X with X the member x dish matrix of log(1 + order count), in member blocks."""
    g = np.zeros((n, n))
    members = np.repeat(log.member, np.diff(log.indptr))
    block = max(1, 4_000_000 // max(n, 1))
    starts = np.searchsorted(members, np.arange(0, len(log.member_ids) + block, block))
    for i in range(len(starts) - 1):
        a, b = starts[i], starts[i + 1]
        if a == b:
            continue
        local = members[a:b] - members[a]
        rows = int(local.max()) + 1
        x = np.bincount(local * n + log.dish[a:b], minlength=rows * n).reshape(rows, n)
        x = np.log1p(x)
        g += x.T @ x
    return g


def _content_gram(content: Sequence[DishContent | None], n: int) -> np.ndarray:
    feats: dict[str, int] = {}
    pairs = []
    for i, dc in enumerate(content):
        if dc is None:
            continue
        band = f"price:{dc.category}:{int(np.log2(max(dc.price_cents, 100) / 100))}"
        for f in (f"cat:{dc.category}", f"station:{dc.station}", band,
                  *(f"tag:{t}" for t in dc.tags)):
            pairs.append((feats.setdefault(f, len(feats)), i))
    onehot = np.zeros((max(len(feats), 1), n))
    for r, i in pairs:
        onehot[r, i] = 1.0
    return onehot.T @ onehot


def ease_weights(gram: np.ndarray, lam: float) -> np.ndarray:
    """EASE (Steck 2019): B = I - P / diag(P), P = (G + lambda I)^-1, zero diagonal."""
    n = gram.shape[0]
    if n == 0:
        return np.zeros((0, 0))
    scale = max(float(np.mean(np.diag(gram))), 1e-9)
    p = np.linalg.inv(gram + lam * scale * np.eye(n))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return b


def fit_components(log: OrderLog, *, menus: dict[int, np.ndarray] | None = None,
                   content: Sequence[DishContent | None] | None = None,
                   params: Params = Params()) -> Components:
    """Fit EASE, popularity and the tag matrix on ``log`` (dish index = ``log.dish_ids``)."""
    n = len(log.dish_ids)
    gram = _gram(log, n)
    if content and params.content_weight > 0:
        cg = _content_gram(content, n)
        ratio = float(np.mean(np.diag(gram))) / max(float(np.mean(np.diag(cg))), 1e-9)
        gram = gram + params.content_weight * max(ratio, 1e-9) * cg
    log_pop, lift = _popularity(log, n, menus, content, params)
    tags = np.zeros((len(PREF_TAGS), n))
    for i, dc in enumerate(content or ()):
        if dc is not None:
            for t in dc.tags:
                if t in PREF_TAGS:
                    tags[PREF_TAGS.index(t), i] = 1.0
    return Components(ease_weights(gram, params.ease_lambda), log_pop, lift, tags)


def assemble(comp: Components, params: Params, dish_ids: Sequence[str],
             catalog_version: int = 0) -> RecommendModel:
    """Fold the weights into the two matrices the graph multiplies by."""
    n = len(dish_ids)
    table = np.zeros((context_size(len(PREF_TAGS)), n), np.float32)
    for p in range(len(PERIODS)):
        for w in range(7):
            table[p * 7 + w] = comp.log_pop[p] + params.w_weekday * comp.lift[p, w]
    table[len(PERIODS) * 7:] = params.w_pref * comp.tag_matrix
    return RecommendModel(
        dish_ids=tuple(dish_ids), ease=(params.w_ease * comp.ease).astype(np.float32),
        context_table=table, w_freq=params.w_freq, half_life_days=params.half_life_days,
        other_period_weight=params.other_period_weight, tags=PREF_TAGS,
        catalog_version=catalog_version, params=params.__dict__.copy())


def validation_split(log: OrderLog, cap: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """Each member's last order (members with two or more), at most ``cap`` of them."""
    last = np.flatnonzero(np.r_[log.member[1:] != log.member[:-1], True])
    first = np.flatnonzero(np.r_[True, log.member[1:] != log.member[:-1]])
    last = last[last != first]
    if last.size > cap:
        last = np.sort(np.random.default_rng(0).choice(last, cap, replace=False))
    held = np.zeros(log.n_orders, bool)
    held[last] = True
    return ~held, held


def queries_of(log: OrderLog, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(member, time, period) of the given orders."""
    return log.member[orders], log.time[orders], log.period[orders]


def candidate_mask(log: OrderLog, orders: np.ndarray,
                   menus: dict[int, np.ndarray] | None) -> np.ndarray:
    """(Q, n) True where a dish is not a candidate: not on that day's menu (if menus given)."""
    n = len(log.dish_ids)
    excluded = np.zeros((orders.size, n), bool)
    if menus:
        for q, day in enumerate(log.day[orders]):
            served = menus.get(int(day))
            if served is not None:
                excluded[q] = ~served
    return excluded


def relevant_of(log: OrderLog, orders: np.ndarray) -> list[np.ndarray]:
    """Dish indices of each given order."""
    return [log.dish[log.indptr[o]:log.indptr[o + 1]] for o in orders]


def _tune(log: OrderLog, menus: dict[int, np.ndarray] | None,
          content: Sequence[DishContent | None] | None, params: Params,
          progress: Progress) -> tuple[Params, dict[str, float]]:
    if log.n_orders < 40:
        return params, {}  # too little data to choose: the defaults
    fit_mask, held_mask = validation_split(log)
    held = np.flatnonzero(held_mask)
    if held.size < 20:
        return params, {}  # too little data to choose: the defaults
    inner = log.subset(fit_mask)
    queries = queries_of(log, held)
    excluded = candidate_mask(log, held, menus)
    relevant = relevant_of(log, held)
    comps: dict[float, Components] = {}
    hists: dict[tuple[float, float], np.ndarray] = {}
    ctx_rows = log.period[held].astype(int) * 7 + log.weekday[held].astype(int)

    def score(p: Params) -> float:
        if p.ease_lambda not in comps:
            comps[p.ease_lambda] = fit_components(inner, menus=menus, content=content, params=p)
        key = (p.half_life_days, p.other_period_weight)
        if key not in hists:
            hists[key] = history_matrix(inner, queries, half_life_days=p.half_life_days,
                                        other_period_weight=p.other_period_weight)
        m = assemble(comps[p.ease_lambda], p, log.dish_ids)
        h = hists[key]
        hn = h / (h.sum(1, keepdims=True) + 1.0)
        s = np.log1p(h) * p.w_freq + hn @ m.ease + m.context_table[ctx_rows]
        return float(rank_metrics(s, excluded, relevant, 10)[1].mean())

    best, best_score = params, score(params)
    default_score = best_score
    steps = sum(len(v) for v in GRID.values()) * 2
    done = 0
    for _round in range(2):
        for name, values in GRID.items():
            for value in values:
                done += 1
                progress("tune", done / steps)
                cand = replace(best, **{name: value})
                s = score(cand)
                if s > best_score + 1e-6:
                    best, best_score = cand, s
    return best, {"validation_ndcg@10": round(best_score, 6),
                  "default_ndcg@10": round(default_score, 6),
                  "validation_orders": int(held.size)}


def train(
    log: OrderLog, *, menus: dict[int, np.ndarray] | None = None,
    content: Sequence[DishContent | None] | None = None, catalog_version: int = 0,
    params: Params | None = None, tune: bool = True, progress: Progress | None = None,
) -> RecommendModel:
    """Train on every order of ``log``; the dish index is ``log.dish_ids``."""
    report = progress or (lambda _stage, _fraction: None)
    chosen = params or Params()
    validation: dict[str, float] = {}
    if tune:
        chosen, validation = _tune(log, menus, content, chosen, report)
    report("fit", 0.0)
    comp = fit_components(log, menus=menus, content=content, params=chosen)
    report("fit", 1.0)
    model = assemble(comp, chosen, log.dish_ids, catalog_version)
    model.params.update(validation)
    return model
