"""CRM jobs: the full refresh (nightly) and the per-batch refresh at ingest.

The full refresh re-evaluates every active rule for every member and re-scores everyone
(refitting the churn model). At ingest, ``on_orders`` re-evaluates the rules and scores
of the members the batch touched, inside a SAVEPOINT of the batch's transaction: a CRM
failure is logged and counted, rolled back alone, and never costs the batch its orders
(the next full refresh catches the member up).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlmodel import Session

from hub.crm import member_scores, tags
from hub.db_types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshReport:
    """What a full refresh did and how long each half took."""

    tags: list[tags.RefreshResult]
    scores: member_scores.ScoreReport
    tag_seconds: float
    score_seconds: float

    def summary(self) -> str:
        """One line per rule and one for the scores."""
        lines = [f"{r.rule}: {r.matched} members (+{r.added} -{r.removed})" for r in self.tags]
        lines.append(f"tags refreshed in {self.tag_seconds:.2f} s")
        lines.append(f"scores: {self.scores.members} members by {self.scores.method} "
                     f"in {self.score_seconds:.2f} s")
        return "\n".join(lines)


def full_refresh(session: Session, *, at: datetime | None = None) -> RefreshReport:
    """Every rule for every member, then every member's scores; committed."""
    at = at or utcnow()
    t0 = time.perf_counter()
    results = tags.refresh_all(session, at=at)
    t1 = time.perf_counter()
    report = member_scores.refresh_now(session, at=at)
    t2 = time.perf_counter()
    log.info("crm full refresh: %d rules, %d members scored", len(results), report.members)
    return RefreshReport(results, report, t1 - t0, t2 - t1)


def on_orders(conn: Connection, member_ids: Sequence[int], counts: Counter[str], *,
              at: datetime | None = None) -> None:
    """Re-tag and re-score the members of a batch's new orders (ingest handler)."""
    ids = sorted({m for m in member_ids if m is not None})
    if not ids:
        return
    at = at or utcnow()
    try:
        with conn.begin_nested():
            counts["crm.tags_changed"] += tags.retag_members(conn, ids, at=at)
            counts["crm.scored"] += member_scores.rescore_members(conn, ids, at=at)
    except Exception as err:  # the batch's orders matter more than its tags
        counts["crm.failed"] += 1
        log.warning("crm refresh of %d members skipped (%s: %s); the full refresh will "
                    "catch them up", len(ids), type(err).__name__, err)


def retag_on_ingest(conn: Connection, events: Sequence[Any], counts: Counter[str]) -> None:
    """The ingest handler (hub.ingest.handlers): members of the batch's new orders."""
    on_orders(conn, [e.member_id for e in events if e.member_id is not None], counts)
