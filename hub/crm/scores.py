"""RFM quintiles and churn probability: one scoring function for the hub and the CLI.

Per member: recency_days (days from the last visit to the scoring date), frequency
(visits: distinct days with a transaction), monetary (total spent), and r/f/m quintile
scores 1-5 (5 = most recent / most frequent / spent most; ties share the score of their
mid-rank). churn_probability = P(no visit in the next ``horizon`` days) from an MBG/NBD
model fitted on the same history (hub.crm.bgnbd); when the history is too short to fit
one (fewer than MIN_MEMBERS members, fewer than MIN_REPEATERS with a repeat visit,
or under MIN_HISTORY_DAYS of history), an RFM rule gives it instead (``method == "rfm"``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hub.crm import bgnbd

log = logging.getLogger(__name__)
DEFAULT_HORIZON_DAYS = 30
MIN_REPEATERS = 20  # members with two or more visit days needed to fit the model
MIN_MEMBERS = 30
MIN_HISTORY_DAYS = 28  # four weeks: weekly habits show at least once


@dataclass
class Visits:
    """Members' visit history as arrays (one row per member), in days."""

    keys: list[Any]
    first: NDArray[np.int64]  # day number (date.toordinal) of the first visit
    last: NDArray[np.int64]
    days: NDArray[np.int64]  # distinct visit days
    monetary: NDArray[np.float64]
    # The same history one horizon earlier (the backtest that calibrates the model):
    # visit days and last visit up to as_of - horizon, and whether they came after it.
    back_days: NDArray[np.int64] | None = None
    back_last: NDArray[np.int64] | None = None
    came_back: NDArray[np.bool_] | None = None


@dataclass
class Scores:
    """Scores in the order of ``Visits.keys``."""

    keys: list[Any]
    recency_days: NDArray[np.int64]
    frequency: NDArray[np.int64]
    monetary: NDArray[np.float64]
    r: NDArray[np.int64]
    f: NDArray[np.int64]
    m: NDArray[np.int64]
    churn: NDArray[np.float64]
    method: str
    params: dict[str, float] = field(default_factory=dict)


def quintiles(values: NDArray[Any]) -> NDArray[np.int64]:
    """Scores 1-5 by mid-rank among ``values`` (higher value, higher score)."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(values)
    below = np.searchsorted(ordered, values, side="left")
    upto = np.searchsorted(ordered, values, side="right")
    mid = (below + upto - 1) / 2.0  # 0-based mid-rank of each value's tie group
    return np.clip(1 + np.floor(5.0 * (mid + 0.5) / n), 1, 5).astype(np.int64)


def rfm_rule(r: NDArray[np.int64], f: NDArray[np.int64]) -> NDArray[np.float64]:
    """The fallback churn score: mostly recency, partly frequency, kept within 0.02-0.98."""
    keep = 0.65 * (r - 1) / 4.0 + 0.35 * (f - 1) / 4.0
    return np.asarray(np.clip(1.0 - keep, 0.02, 0.98), dtype=np.float64)


def model_inputs(v: Visits, as_of: date) -> tuple[NDArray[np.float64], ...]:
    """(x, t_x, T) for the MBG/NBD: repeat visits, first-to-last days, age in days."""
    today = as_of.toordinal()
    x = (v.days - 1).astype(np.float64)
    t_x = (v.last - v.first).astype(np.float64)
    T = (today - v.first).astype(np.float64)
    return x, t_x, T


def fit_params(v: Visits, as_of: date, horizon_days: int) -> bgnbd.Params | None:
    """MBG/NBD parameters for this history, or None when it is too short to fit."""
    x, t_x, T = model_inputs(v, as_of)
    if len(x) < MIN_MEMBERS or int((x > 0).sum()) < MIN_REPEATERS:
        return None
    if float(T.max(initial=0.0)) < MIN_HISTORY_DAYS:
        return None
    try:
        return bgnbd.fit(x, t_x, T)
    except (bgnbd.FitError, FloatingPointError, ValueError) as err:
        log.warning("churn model not fitted (%s); using the RFM rule", err)
        return None


def _features(p: bgnbd.Params, x: NDArray[np.float64], t_x: NDArray[np.float64],
              T: NDArray[np.float64], recency: NDArray[Any], horizon: float
              ) -> NDArray[np.float64]:
    with np.errstate(all="ignore"):
        pr = np.clip(bgnbd.p_no_visit(p, x, t_x, T, horizon), 1e-6, 1 - 1e-6)
    return np.stack([np.log(pr / (1 - pr)), np.log1p(recency), np.log1p(x), np.log1p(T),
                     np.ones(len(x))], axis=1)


def _logistic(X: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    from scipy.optimize import minimize

    def loss(w: NDArray[np.float64]) -> float:
        z = X @ w
        return float(np.mean(np.logaddexp(0, z) - y * z) + 1e-3 * np.sum(w[:-1] ** 2))

    res = minimize(loss, np.zeros(X.shape[1]), method="L-BFGS-B")
    return np.asarray(res.x, dtype=np.float64)


def calibration(v: Visits, as_of: date, horizon_days: int) -> list[float] | None:
    """Weights that turn the model's P(no visit) into a calibrated one, learnt on history.

    The backtest: the model fitted on the history up to as_of - horizon predicts who
    came back in the horizon after it; a logistic regression on (logit of the model's
    probability, log recency, log repeat visits, log age) fits those outcomes. This
    corrects the model where its assumptions fit the data badly (on CDNOW it ranks
    one-time buyers against repeat buyers poorly at long horizons). None when the
    history is too short for a backtest.
    """
    if v.back_days is None or v.back_last is None or v.came_back is None:
        return None
    seen = v.back_days > 0
    if int(seen.sum()) < MIN_MEMBERS:
        return None
    back = as_of.toordinal() - horizon_days
    sub = Visits(keys=[], first=v.first[seen], last=v.back_last[seen], days=v.back_days[seen],
                 monetary=v.monetary[seen])
    label = (~v.came_back[seen]).astype(np.float64)
    if label.min() == label.max():
        return None
    params = fit_params(sub, date.fromordinal(back), horizon_days)
    if params is None:
        return None
    x, t_x, T = model_inputs(sub, date.fromordinal(back))
    w = _logistic(_features(params, x, t_x, T, back - sub.last, float(horizon_days)), label)
    return [float(c) for c in w] if np.all(np.isfinite(w)) else None


def score(v: Visits, as_of: date, *, horizon_days: int = DEFAULT_HORIZON_DAYS,
          params: bgnbd.Params | None = None, weights: Sequence[float] | None = None,
          fit: bool = True) -> Scores:
    """Score every member of ``v`` as of ``as_of``.

    Fits the model (and its backtest calibration) unless ``params`` (and ``weights``)
    are given, as when the hub scores the members of one ingest batch.
    """
    today = as_of.toordinal()
    recency = (today - v.last).astype(np.int64)
    r = quintiles(-recency)
    f = quintiles(v.days)
    m = quintiles(v.monetary)
    if params is None and fit:
        params = fit_params(v, as_of, horizon_days)
        weights = calibration(v, as_of, horizon_days) if params is not None else None
    if params is not None:
        x, t_x, T = model_inputs(v, as_of)
        if weights is not None:
            z = _features(params, x, t_x, T, recency, float(horizon_days)) @ np.asarray(weights)
            churn = 1.0 / (1.0 + np.exp(-z))
            method = "mbgnbd-cal"
        else:
            with np.errstate(all="ignore"):
                churn = bgnbd.p_no_visit(params, x, t_x, T, float(horizon_days))
            method = "mbgnbd"
        if not np.all(np.isfinite(churn)):
            churn = np.where(np.isfinite(churn), churn, rfm_rule(r, f))
        p: dict[str, Any] = params.as_dict()
        if weights is not None:
            p["weights"] = list(weights)
    else:
        churn, method, p = rfm_rule(r, f), "rfm", {}
    return Scores(keys=list(v.keys), recency_days=recency, frequency=v.days.copy(),
                  monetary=v.monetary.copy(), r=r, f=f, m=m,
                  churn=np.clip(churn, 0.0, 1.0), method=method, params=p)


def visits_from_rows(rows: Sequence[tuple[Any, int, float]], *, as_of: date | None = None,
                     horizon_days: int = DEFAULT_HORIZON_DAYS) -> Visits:
    """Visits from (member key, day number, amount) rows, any order, several a day.

    With ``as_of``, also the backtest history one horizon earlier (``calibration``).
    """
    per: dict[Any, tuple[set[int], list[float]]] = {}
    for key, day, amount in rows:
        days, money = per.setdefault(key, (set(), [0.0]))
        days.add(day)
        money[0] += amount
    keys = list(per)
    first = np.array([min(per[k][0]) for k in keys], dtype=np.int64)
    last = np.array([max(per[k][0]) for k in keys], dtype=np.int64)
    n = np.array([len(per[k][0]) for k in keys], dtype=np.int64)
    spent = np.array([per[k][1][0] for k in keys], dtype=np.float64)
    v = Visits(keys=keys, first=first, last=last, days=n, monetary=spent)
    if as_of is not None:
        back = as_of.toordinal() - horizon_days
        before = [[d for d in per[k][0] if d <= back] for k in keys]
        v.back_days = np.array([len(b) for b in before], dtype=np.int64)
        v.back_last = np.array([max(b) if b else 0 for b in before], dtype=np.int64)
        v.came_back = np.array([any(d > back for d in per[k][0]) for k in keys], dtype=bool)
    return v
