"""RFM and churn scores of the hub's members, from its orders, with hub.crm.scores.

The per-member history (first and last local visit day, visit days, spend, and the same
one horizon earlier for the model's backtest calibration) comes from one aggregate
statement; the scoring itself is the numpy code the offline CLI runs. A full refresh
fits the model and keeps its parameters and each score's distribution (crm_score_fit);
the members an ingest batch touches are then scored against those, without a refit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from hub.crm import bgnbd, scores
from hub.crm import query as q
from hub.db_types import utcnow
from hub.models.crm import MemberScore, ScoreFit

SCORE = MemberScore.__table__  # type: ignore[attr-defined]
FIT = ScoreFit.__table__  # type: ignore[attr-defined]
REF_POINTS = 101  # quantiles kept of each score's distribution
CHUNK = 500


def _ordinal(value: Any) -> int:
    if isinstance(value, date):
        return value.toordinal()
    return date.fromisoformat(str(value)[:10]).toordinal()


def local_today(conn: Connection, at: datetime) -> date:
    """The scoring day: ``at`` in the hub's first site's zone."""
    ctx = q.make_context(conn, at)
    offset = next(iter(ctx.offsets.values()), q._offset(q.DEFAULT_TZ, at))
    return (at + timedelta(seconds=offset)).date()


def history(conn: Connection, at: datetime, *, horizon_days: int,
            members: Sequence[int] | None = None) -> scores.Visits:
    """Members' visit history up to ``at`` (all members with an order, or ``members``)."""
    ctx = q.make_context(conn, at)
    day = q.local_day(ctx)
    back = local_today(conn, at) - timedelta(days=horizon_days)
    back_param: Any = back if ctx.postgres else back.isoformat()
    before = day <= sa.literal(back_param, sa.Date if ctx.postgres else sa.String)
    stmt = (sa.select(
        q.O.c.member_id, sa.func.min(day), sa.func.max(day), sa.func.count(sa.distinct(day)),
        sa.func.sum(q.O.c.total_cents),
        sa.func.count(sa.distinct(sa.case((before, day)))),
        sa.func.max(sa.case((before, day))),
        sa.func.max(sa.case((before, 0), else_=1)),
    ).where(q.in_window(ctx, None)).group_by(q.O.c.member_id))
    rows: list[Any] = []
    parts: list[Sequence[int] | None] = [None] if members is None else [
        sorted(members)[i:i + CHUNK] for i in range(0, len(members), CHUNK)]
    for part in parts:
        s = stmt if part is None else stmt.where(q.O.c.member_id.in_(part))
        rows.extend(conn.execute(s).all())
    keys = [r[0] for r in rows]
    v = scores.Visits(
        keys=keys,
        first=np.array([_ordinal(r[1]) for r in rows], dtype=np.int64),
        last=np.array([_ordinal(r[2]) for r in rows], dtype=np.int64),
        days=np.array([int(r[3]) for r in rows], dtype=np.int64),
        monetary=np.array([float(r[4] or 0) for r in rows], dtype=np.float64),
    )
    v.back_days = np.array([int(r[5]) for r in rows], dtype=np.int64)
    v.back_last = np.array([_ordinal(r[6]) if r[6] is not None else 0 for r in rows],
                           dtype=np.int64)
    v.came_back = np.array([bool(r[7]) for r in rows], dtype=bool)
    return v


@dataclass(frozen=True)
class ScoreReport:
    """What a score refresh did."""

    members: int
    method: str
    params: dict[str, Any]


def _reference(values: np.ndarray) -> list[float]:
    if len(values) == 0:
        return []
    return [float(x) for x in np.quantile(values, np.linspace(0, 1, REF_POINTS))]


def _against(ref: list[float], values: np.ndarray) -> np.ndarray:
    """Quintile scores of ``values`` by their place in a stored distribution."""
    if not ref:
        return scores.quintiles(values)
    arr = np.asarray(ref)
    lo = np.searchsorted(arr, values, side="left")
    hi = np.searchsorted(arr, values, side="right")
    frac = ((lo + hi) / 2.0) / len(arr)
    return np.clip(1 + np.floor(5.0 * frac), 1, 5).astype(np.int64)


def _write(conn: Connection, result: scores.Scores, at: datetime, *, replace_all: bool) -> None:
    if replace_all:
        conn.execute(SCORE.delete())
    else:
        for i in range(0, len(result.keys), CHUNK):
            conn.execute(SCORE.delete().where(SCORE.c.member_id.in_(result.keys[i:i + CHUNK])))
    rows = [{
        "member_id": int(k), "recency_days": int(result.recency_days[i]),
        "frequency": int(result.frequency[i]), "monetary_cents": int(result.monetary[i]),
        "r": int(result.r[i]), "f": int(result.f[i]), "m": int(result.m[i]),
        "churn_probability": float(result.churn[i]), "method": result.method, "scored_at": at,
    } for i, k in enumerate(result.keys)]
    for i in range(0, len(rows), 2000):
        conn.execute(SCORE.insert(), rows[i:i + 2000])


def refresh_scores(conn: Connection, *, at: datetime,
                   horizon_days: int = scores.DEFAULT_HORIZON_DAYS) -> ScoreReport:
    """Score every member with an order: fit the model, store the fit and the scores."""
    v = history(conn, at, horizon_days=horizon_days)
    result = scores.score(v, local_today(conn, at), horizon_days=horizon_days)
    _write(conn, result, at, replace_all=True)
    params: dict[str, Any] = dict(result.params)
    params.update(horizon_days=horizon_days,
                  ref_r=_reference(-result.recency_days.astype(float)),
                  ref_f=_reference(result.frequency.astype(float)),
                  ref_m=_reference(result.monetary))
    conn.execute(FIT.insert().values(fitted_at=at, method=result.method, params=params,
                                     members=len(result.keys)))
    return ScoreReport(len(result.keys), result.method, dict(result.params))


def rescore_members(conn: Connection, members: Sequence[int], *, at: datetime) -> int:
    """Score the members an ingest batch touched against the last full refresh's fit."""
    if not members:
        return 0
    fit = conn.execute(sa.select(FIT).order_by(FIT.c.id.desc()).limit(1)).mappings().first()
    if fit is None:
        return 0  # no full refresh yet: the nightly job scores everyone
    p = dict(fit["params"])
    horizon = int(p.get("horizon_days", scores.DEFAULT_HORIZON_DAYS))
    v = history(conn, at, horizon_days=horizon, members=members)
    if not v.keys:
        return 0
    model = (bgnbd.Params(r=p["r"], alpha=p["alpha"], a=p["a"], b=p["b"])
             if {"r", "alpha", "a", "b"} <= p.keys() else None)
    result = scores.score(v, local_today(conn, at), horizon_days=horizon, params=model,
                          weights=p.get("weights"), fit=False)
    result.r = _against(p.get("ref_r", []), -result.recency_days.astype(float))
    result.f = _against(p.get("ref_f", []), result.frequency.astype(float))
    result.m = _against(p.get("ref_m", []), result.monetary)
    if model is None:
        result.churn = scores.rfm_rule(result.r, result.f)
    _write(conn, result, at, replace_all=False)
    return len(result.keys)


def member_score(session: Session, member_id: int) -> MemberScore | None:
    """The member's stored scores, if scored."""
    return session.get(MemberScore, member_id)


def latest_fit(session: Session) -> ScoreFit | None:
    """The newest model fit."""
    return session.exec(select(ScoreFit).order_by(sa.desc(FIT.c.id))).first()


def refresh_now(session: Session, *, at: datetime | None = None) -> ScoreReport:
    """Full score refresh in the session's transaction, committed."""
    report = refresh_scores(session.connection(), at=at or utcnow())
    session.commit()
    return report
