"""Demand forecasting, the pure part: a panel of series in, forecasts and the baseline out.

One global LightGBM model learns from every series at once (a dish at a site in a meal period
is one series). It is a *direct* multi-horizon model: each training row is (forecast origin,
days ahead, target day), its features are computed only from what was known at the origin, and
the target is the day's demand divided by the series' recent level. So one model serves 500
dishes selling 3 or 300 portions, and every day of the horizon is predicted at once, without
feeding predictions back in. Features:

- days ahead; the target day's weekday, public holiday, swapped workday (调休), and whether the
  day before / after is off (the calendar is data: `hub.supply.holidays`);
- the same-phase history one to four seasons back (season S, 7 for days), the mean of those
  on regular days only, the seasonal-naive value and whether it fell on an off day;
- the level (mean of the last 4 seasons, at least 28 points), the last season's mean, the
  trend between the last two seasons, the share of zeros, the spread;
- menu rotation: whether the dish is on the menu that day, and the share of recent days it
  was (a dish off the menu sells nothing: its forecast is 0);
- pre-bookings (报餐) for the target day, scaled like the target, when the caller has them.

The objective is L1 weighted by the level, i.e. the absolute error in portions: what WAPE
measures and what a kitchen wastes or runs short of.

A panel can be a daily grid (columns are days; a missing day is NaN, never 0: it is left out
of every mean and is not a training target) or a positional grid for data that is not daily
(each point one step; no calendar). The seasonal-naive baseline is computed on the same grid:
the value S steps before the target, going back whole seasons past gaps, and the last value
seen when the series is shorter than a season.

`forecast()` also checks the model on the last points of the history before it is trusted:
it compares the model, the seasonal mean and their blend with seasonal naive on a held-out
tail of the training data and keeps the best (on a data set too short to hold a tail out it
keeps the model). What it chose is reported.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from hub.supply.holidays import HolidayCalendar, default_calendar

LAGS = 4  # same-phase values looked at: one to four seasons back
MIN_LEVEL_WINDOW = 28
CANDIDATES = ("model", "seasonal_mean", "blend", "seasonal_naive")


@dataclass
class Panel:
    """Series on a common grid of columns.

    values: N x T, NaN where unknown (a gap, before the series starts, or not yet happened).
    last: per series, the last column that is history (features and training see nothing
    after it); -1 when the series has no history.
    days: the date of each column of a daily grid; None for a positional grid.
    on_menu: N x T, 1 when the dish is served that day, 0 when not (None: always served).
    bookings: N x T pre-booked portions, NaN where unknown (None: no bookings).
    """

    values: np.ndarray
    last: np.ndarray
    days: list[date] | None = None
    on_menu: np.ndarray | None = None
    bookings: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        n, t = self.values.shape
        return int(n), int(t)

    def with_last(self, last: np.ndarray) -> Panel:
        return Panel(self.values, last, self.days, self.on_menu, self.bookings)


@dataclass
class ForecastParams:
    """Knobs of the model; the defaults are what docs/supply.md measured."""

    season: int = 7
    max_rows: int = 60_000  # training rows kept (a random, seeded sample beyond that)
    n_estimators: int = 150
    learning_rate: float = 0.08
    num_leaves: int = 63
    seed: int = 7
    objective: str = "l1"
    # One thread by default: OpenMP threads spin, and on a busy box (the hub serving, CI)
    # two threads ran 15x slower than one. The benchmark sets more on an idle machine.
    threads: int = 1
    select: bool = True  # hold out the training tail and keep the best candidate


@dataclass
class ForecastResult:
    model: np.ndarray  # the forecast for each requested (row, column)
    seasonal_naive: np.ndarray
    chosen: str
    validation_wape: dict[str, float]


class _Stats:
    """Cumulative sums over the grid, so any window mean is two lookups per row."""

    def __init__(self, values: np.ndarray, regular: np.ndarray) -> None:
        n, t = values.shape
        self.values = values
        self.regular = regular
        pad = np.zeros((n, 1))
        observed = ~np.isnan(values)
        clean = np.where(observed, values, 0.0)
        self.cs = np.concatenate([pad, np.cumsum(clean, axis=1)], axis=1)
        self.cs2 = np.concatenate([pad, np.cumsum(clean * clean, axis=1)], axis=1)
        self.cn = np.concatenate([pad, np.cumsum(observed, axis=1)], axis=1)
        self.cz = np.concatenate([pad, np.cumsum(observed & (clean == 0), axis=1)], axis=1)
        reg_obs = ~np.isnan(regular)
        self.rs = np.concatenate([pad, np.cumsum(np.where(reg_obs, regular, 0.0), axis=1)], 1)
        self.rn = np.concatenate([pad, np.cumsum(reg_obs, axis=1)], axis=1)
        # The last observed column at or before each column (-1: none yet).
        idx = np.where(observed, np.arange(t)[None, :], -1)
        self.last_seen = np.maximum.accumulate(idx, axis=1) if t else idx

    def window(self, rows: np.ndarray, end: np.ndarray, width: int,
               regular: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Sum and count of the observed values in columns (end - width, end]."""
        hi = end + 1
        lo = np.maximum(hi - width, 0)
        s, c = (self.rs, self.rn) if regular else (self.cs, self.cn)
        return s[rows, hi] - s[rows, lo], c[rows, hi] - c[rows, lo]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def _calendar_columns(panel: Panel, calendar: HolidayCalendar | None) -> dict[str, np.ndarray]:
    if panel.days is None or calendar is None:
        return {}
    return calendar.features(panel.days)


def _regular(panel: Panel, cal: dict[str, np.ndarray]) -> np.ndarray:
    """The values of ordinary days: holidays, swapped workdays and off-menu days masked."""
    regular = panel.values.copy()
    if cal:
        special = (cal["holiday"] > 0) | (cal["swap_workday"] > 0)
        regular[:, special] = np.nan
    if panel.on_menu is not None:
        regular[panel.on_menu <= 0] = np.nan
    return regular


def seasonal_naive_at(stats: _Stats, rows: np.ndarray, origin: np.ndarray, cols: np.ndarray,
                      season: int) -> np.ndarray:
    """The value one season before the target (whole seasons further back past gaps), else the
    last value seen; NaN when the series has nothing at all before the origin."""
    values = stats.values
    h = cols - origin
    back = np.ceil(h / season).astype(int) * season
    out = np.full(rows.shape, np.nan)
    pos = cols - back
    for _ in range(LAGS * 2):
        ok = np.isnan(out) & (pos >= 0)
        if not ok.any():
            break
        out[ok] = values[rows[ok], pos[ok]]
        pos = pos - season
    missing = np.isnan(out)
    if missing.any():
        seen = stats.last_seen[rows[missing], np.maximum(origin[missing], 0)]
        has = (seen >= 0) & (origin[missing] >= 0)
        fill = np.full(seen.shape, np.nan)
        fill[has] = values[rows[missing][has], seen[has]]
        out[missing] = fill
    return out


def _features(panel: Panel, stats: _Stats, cal: dict[str, np.ndarray], rows: np.ndarray,
              origin: np.ndarray, cols: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and level for (series row, origin column, target column) triples."""
    values = stats.values
    h = cols - origin
    width = max(MIN_LEVEL_WINDOW, LAGS * season)
    s, c = stats.window(rows, origin, width, regular=True)
    level = _div(s, c)
    s_raw, c_raw = stats.window(rows, origin, width)
    level = np.where(np.isnan(level), _div(s_raw, c_raw), level)
    s_all, c_all = stats.window(rows, origin, values.shape[1])
    level = np.where(np.isnan(level), _div(s_all, c_all), level)
    level = np.nan_to_num(level, nan=0.0)
    scale = np.where(level > 0, level, 1.0)

    feats: list[np.ndarray] = [h.astype(float), np.log1p(level)]
    first = np.ceil(h / season).astype(int)
    lag_vals = []
    lag_regs = []
    for j in range(LAGS):
        pos = cols - season * (first + j)
        ok = pos >= 0
        safe = np.where(ok, pos, 0)
        v = np.where(ok, values[rows, safe], np.nan)
        r = np.where(ok, stats.regular[rows, safe], np.nan)
        lag_vals.append(v)
        lag_regs.append(r)
        feats.append(v / scale)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: NaN is the answer
        reg_mean = np.nanmean(np.stack(lag_regs), axis=0)
        raw_mean = np.nanmean(np.stack(lag_vals), axis=0)
    feats.append(reg_mean / scale)
    feats.append(raw_mean / scale)
    snaive = seasonal_naive_at(stats, rows, origin, cols, season)
    feats.append(snaive / scale)
    last_seen = stats.last_seen[rows, np.maximum(origin, 0)]
    last_val = np.where(last_seen >= 0, values[rows, np.maximum(last_seen, 0)], np.nan)
    feats.append(last_val / scale)
    s1, c1 = stats.window(rows, origin, season)
    s2, c2 = stats.window(rows, origin - season, season)
    m1 = _div(s1, c1)
    feats.append(m1 / scale)
    feats.append(_div(m1, _div(s2, c2)))
    zero_hi = origin + 1
    zero_lo = np.maximum(zero_hi - width, 0)
    zeros = stats.cz[rows, zero_hi] - stats.cz[rows, zero_lo]
    feats.append(_div(zeros, c_raw))
    sq = stats.cs2[rows, zero_hi] - stats.cs2[rows, zero_lo]
    mean_raw = _div(s_raw, c_raw)
    var = _div(sq, c_raw) - mean_raw * mean_raw
    feats.append(np.sqrt(np.maximum(np.nan_to_num(var, nan=0.0), 0.0)) / scale)
    if cal:
        for key in ("weekday", "holiday", "swap_workday", "off", "off_before", "off_after"):
            feats.append(cal[key][cols])
        pos0 = cols - season * first
        feats.append(np.where(pos0 >= 0, cal["off"][np.maximum(pos0, 0)], np.nan))
    if panel.on_menu is not None:
        feats.append(panel.on_menu[rows, cols].astype(float))
        menu_cs = np.concatenate([np.zeros((panel.on_menu.shape[0], 1)),
                                  np.cumsum(panel.on_menu > 0, axis=1)], axis=1)
        feats.append((menu_cs[rows, zero_hi] - menu_cs[rows, zero_lo])
                     / np.maximum(zero_hi - zero_lo, 1))
    if panel.bookings is not None:
        feats.append(panel.bookings[rows, cols] / scale)
    return np.column_stack(feats).astype(np.float32), scale


def _training_triples(panel: Panel, horizon: int, params: ForecastParams,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = panel.values
    n, _ = values.shape
    last = panel.last
    active = last >= 1
    if not active.any():
        empty = np.zeros(0, dtype=int)
        return empty, empty, empty
    top = int(last[active].max())
    min_origin = 1
    per_origin = max(1, int(active.sum()) * horizon)
    possible = max(1, top - min_origin)
    budget = max(1, (params.max_rows * 2) // per_origin)
    stride = max(1, math.ceil(possible / budget))
    rows_l, orig_l, cols_l = [], [], []
    all_rows = np.arange(n)
    for t in range(top - 1, min_origin - 1, -stride):
        for h in range(1, horizon + 1):
            c = t + h
            if c > top:
                continue
            ok = (c <= last) & ~np.isnan(values[:, c])
            if not ok.any():
                continue
            r = all_rows[ok]
            rows_l.append(r)
            orig_l.append(np.full(r.shape, t))
            cols_l.append(np.full(r.shape, c))
    if not rows_l:
        empty = np.zeros(0, dtype=int)
        return empty, empty, empty
    rows, origin, cols = np.concatenate(rows_l), np.concatenate(orig_l), np.concatenate(cols_l)
    if rows.size > params.max_rows:
        keep = np.sort(rng.choice(rows.size, params.max_rows, replace=False))
        rows, origin, cols = rows[keep], origin[keep], cols[keep]
    return rows, origin, cols


class _Fitted:
    def __init__(self, booster: object | None, constant: float) -> None:
        self.booster = booster
        self.constant = constant

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.booster is None:
            return np.full(x.shape[0], self.constant)
        return np.asarray(self.booster.predict(x), dtype=float)  # type: ignore[attr-defined]


def _fit(panel: Panel, stats: _Stats, cal: dict[str, np.ndarray], horizon: int,
         params: ForecastParams) -> _Fitted:
    import lightgbm as lgb  # imported here: the CLI's --help and the hub start without it

    rng = np.random.default_rng(params.seed)
    rows, origin, cols = _training_triples(panel, horizon, params, rng)
    if rows.size < 20:
        return _Fitted(None, 1.0)  # too little to learn from: the level itself
    x, scale = _features(panel, stats, cal, rows, origin, cols, params.season)
    y = panel.values[rows, cols] / scale
    booster_params = {
        "objective": params.objective,
        "learning_rate": params.learning_rate,
        "num_leaves": params.num_leaves,
        "min_data_in_leaf": max(5, min(50, rows.size // 400)),
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "feature_fraction": 0.9,
        "num_threads": params.threads,
        "seed": params.seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
    }
    data = lgb.Dataset(x, label=y, weight=scale, params={"verbosity": -1})
    model = lgb.train(booster_params, data, num_boost_round=params.n_estimators)
    return _Fitted(model, 1.0)


def _candidates(panel: Panel, stats: _Stats, cal: dict[str, np.ndarray], fitted: _Fitted,
                rows: np.ndarray, cols: np.ndarray, season: int) -> dict[str, np.ndarray]:
    origin = panel.last[rows]
    x, scale = _features(panel, stats, cal, rows, origin, cols, season)
    model = fitted.predict(x) * scale
    if not (panel.values < 0).any():  # demand: never below zero; other series keep their sign
        model = np.maximum(model, 0.0)
    snaive = seasonal_naive_at(stats, rows, origin, cols, season)
    # Column 2 + LAGS of the features: the mean of the same-phase values on regular days.
    smean = x[:, 2 + LAGS].astype(float) * scale
    smean = np.where(np.isnan(smean), x[:, 3 + LAGS].astype(float) * scale, smean)
    smean = np.where(np.isnan(smean), snaive, smean)
    snaive = np.nan_to_num(snaive, nan=0.0)
    smean = np.nan_to_num(smean, nan=0.0)
    out = {"model": model, "seasonal_mean": smean, "blend": (model + smean) / 2,
           "seasonal_naive": snaive}
    if panel.on_menu is not None:
        off = panel.on_menu[rows, cols] <= 0
        for key in ("model", "seasonal_mean", "blend"):
            out[key] = np.where(off, 0.0, out[key])
    return out


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Σ|error| / Σ|actual|; NaN when every actual is 0."""
    denom = float(np.abs(actual).sum())
    return float(np.abs(actual - predicted).sum() / denom) if denom > 0 else math.nan


def _holdout_tail(panel: Panel, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each series' last `horizon` observed history points, and the history before them."""
    inner_last = np.full(panel.last.shape, -1)
    rows_l: list[int] = []
    cols_l: list[int] = []
    for i, last in enumerate(panel.last):
        if last < 0:
            continue
        seen = np.flatnonzero(~np.isnan(panel.values[i, : last + 1]))
        if seen.size <= horizon + 1:
            continue
        inner_last[i] = seen[-horizon - 1]
        rows_l.extend([i] * horizon)
        cols_l.extend(seen[-horizon:].tolist())
    return inner_last, np.array(rows_l, dtype=int), np.array(cols_l, dtype=int)


def forecast(panel: Panel, rows: np.ndarray, cols: np.ndarray, *,
             params: ForecastParams | None = None,
             calendar: HolidayCalendar | None = None) -> ForecastResult:
    """Forecast `panel.values[rows, cols]` (columns after each series' history) and the
    seasonal-naive baseline for the same points."""
    params = params or ForecastParams()
    if calendar is None and panel.days is not None:
        calendar = default_calendar()
    cal = _calendar_columns(panel, calendar)
    stats = _Stats(panel.values, _regular(panel, cal))
    ahead = cols - panel.last[rows] if rows.size else np.zeros(0, dtype=int)
    horizon = int(max(1, ahead.max())) if ahead.size else 1
    chosen = "model"
    scores: dict[str, float] = {}
    if params.select:
        inner_last, vrows, vcols = _holdout_tail(panel, horizon)
        if vrows.size:
            inner = panel.with_last(inner_last)
            masked = panel.values.copy()
            for i, last in enumerate(inner_last):
                masked[i, last + 1:] = np.nan
            inner = Panel(masked, inner_last, panel.days, panel.on_menu, panel.bookings)
            inner_stats = _Stats(masked, _regular(inner, cal))
            fitted = _fit(inner, inner_stats, cal, horizon, params)
            cands = _candidates(inner, inner_stats, cal, fitted, vrows, vcols, params.season)
            actual = panel.values[vrows, vcols]
            scores = {name: wape(actual, pred) for name, pred in cands.items()}
            finite = {k: v for k, v in scores.items() if not math.isnan(v)}
            if finite:
                chosen = min(finite, key=lambda k: (finite[k], CANDIDATES.index(k)))
    # Whatever was chosen, the values after each series' history are never used.
    masked = panel.values.copy()
    for i, last in enumerate(panel.last):
        masked[i, last + 1:] = np.nan
    final = Panel(masked, panel.last, panel.days, panel.on_menu, panel.bookings)
    stats = _Stats(masked, _regular(final, cal))
    fitted = (_fit(final, stats, cal, horizon, params) if chosen in ("model", "blend")
              else _Fitted(None, 1.0))
    if rows.size == 0:
        empty = np.zeros(0)
        return ForecastResult(empty, empty, chosen, scores)
    cands = _candidates(final, stats, cal, fitted, rows, cols, params.season)
    return ForecastResult(cands[chosen], cands["seasonal_naive"], chosen, scores)


def daily_grid(first: date, last: date) -> list[date]:
    """Every day from first to last, inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def mase_scale(values: np.ndarray, last: int, season: int) -> float:
    """Mean |y[t] - y[t - S]| over the history (observed pairs only); falls back to lag 1 when
    the history is shorter than a season. NaN when there is no pair or it is 0."""
    hist = values[: last + 1]
    for lag in (season, 1):
        if hist.size > lag:
            diff = np.abs(hist[lag:] - hist[:-lag])
            diff = diff[~np.isnan(diff)]
            if diff.size:
                scale = float(diff.mean())
                return scale if scale > 0 else math.nan
    return math.nan


def mase(values: np.ndarray, last: np.ndarray, rows: np.ndarray, cols: np.ndarray,
         predicted: np.ndarray, season: int) -> float:
    """Mean over series of (mean |error| of its held-out points / its in-sample scale)."""
    per: list[float] = []
    for i in np.unique(rows):
        sel = rows == i
        scale = mase_scale(values[i], int(last[i]), season)
        if math.isnan(scale):
            continue
        err = np.abs(values[i, cols[sel]] - predicted[sel]).mean()
        per.append(float(err / scale))
    return float(np.mean(per)) if per else math.nan


def positions(counts: Sequence[int]) -> np.ndarray:
    """Right-aligned column of each point for series of these lengths (positional grid)."""
    width = max(counts) if counts else 0
    return np.array([width - c for c in counts], dtype=int)
