"""The scheduled money jobs by name, for the CLI and the API: each idempotent for its period."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlmodel import Session

from hub.accounts import points, subsidies, tiers
from hub.errors import NotFoundError

JOBS = ("grant-subsidies", "expire-subsidies", "expire-points", "recalculate-tiers")


def run_job(
    session: Session, *, job: str, at: datetime, actor: str = "scheduler"
) -> dict[str, int]:
    """Run one job as of `at` and return what it did (commits)."""
    if job == "grant-subsidies":
        return asdict(subsidies.grant_subsidies(session, now=at, actor=actor))
    if job == "expire-subsidies":
        return asdict(subsidies.expire_subsidies(session, now=at, actor=actor))
    if job == "expire-points":
        return asdict(points.expire_points(session, now=at, actor=actor))
    if job == "recalculate-tiers":
        return {"changes": tiers.recalculate_tiers(session, now=at, actor=actor)}
    raise NotFoundError(f"no job {job!r} (one of: {', '.join(JOBS)})")
