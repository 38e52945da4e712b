"""MBG/NBD: the modified beta-geometric/negative-binomial model of repeat visits.

Why not ``lifetimes`` itself: lifetimes 0.11.3 (last release 2020) needs pandas and
autograd at run time and already trips on pandas 3 here (its CDNOW summary loader fails
its own recency <= T check), while the model is four parameters and a closed-form
likelihood. So the hub fits it with numpy + scipy.optimize, the way lifetimes'
``ModifiedBetaGeoFitter`` does (same likelihood, log-parameters, L-BFGS-B), and
bench/crm_churn_eval.py checks the fitted parameters against lifetimes on CDNOW.

Why the *modified* BG/NBD (Batislam, Denizel & Filiztekin 2007) rather than the plain
BG/NBD: the plain model lets a customer drop out only after a repeat visit, so every
one-visit member is "surely alive" (P(alive) = 1) however long ago they came; MBG/NBD
lets them drop out after the first visit too, so a member seen once, months ago, comes
out likely gone, and one seen once yesterday likely back.

Inputs per member (time in days): ``x`` repeat visits (visit days - 1), ``t_x`` days
from the first to the last visit, ``T`` days from the first visit to the scoring date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Params:
    """Fitted parameters: visit rate Gamma(r, alpha), dropout Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        """The parameters as a JSON-able dict."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


class FitError(RuntimeError):
    """The optimiser did not find finite parameters."""


def _neg_ll(log_params: Array, x: Array, t_x: Array, T: Array, w: Array) -> float:
    from scipy.special import gammaln

    r, alpha, a, b = np.exp(log_params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    ll = a1 + a2 + a3 + np.logaddexp(a4, 0)
    return float(-(w * ll).sum() / w.sum())


def fit(x: Array, t_x: Array, T: Array) -> Params:
    """Maximum-likelihood parameters for members' (x, t_x, T); identical rows weighted."""
    from scipy.optimize import minimize

    rows = np.stack([x, t_x, T], axis=1).astype(np.float64)
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    ux, ut, uT = uniq[:, 0], uniq[:, 1], uniq[:, 2]
    w = counts.astype(np.float64)
    best = None
    for start in (np.zeros(4), np.log([0.5, max(float(np.mean(T)), 1.0) / 4, 0.5, 2.0])):
        res = minimize(_neg_ll, start, args=(ux, ut, uT, w), method="L-BFGS-B",
                       bounds=[(-12.0, 12.0)] * 4)
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None or not np.all(np.isfinite(best.x)):
        raise FitError("MBG/NBD likelihood has no finite optimum on this history")
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return Params(r=r, alpha=alpha, a=a, b=b)


def p_alive(p: Params, x: Array, t_x: Array, T: Array) -> Array:
    """P(the member has not dropped out by T)."""
    ratio = np.exp((p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + t_x)))
    return np.asarray(1.0 / (1.0 + (p.a / (p.b + x)) * ratio), dtype=np.float64)


def p_no_visit(p: Params, x: Array, t_x: Array, T: Array, horizon: float) -> Array:
    """P(no visit in (T, T + horizon]): dropped out, or alive and no visit by chance.

    Alive, the posterior visit rate is Gamma(r + x, alpha + T), so the chance of no visit
    in the horizon is ((alpha + T) / (alpha + T + horizon)) ** (r + x); dropout happens
    only at a visit, so an alive member without a visit stays alive through it.
    """
    alive = p_alive(p, x, t_x, T)
    quiet = np.exp((p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + T + horizon)))
    return np.asarray(1.0 - alive + alive * quiet, dtype=np.float64)
