"""The member profile's "campaigns received" and "feedback and complaints" parts.

The profile page (the tags/segments half of issue 13) includes
``crm_cases/_member_profile.html`` with the dict this returns merged into its context.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from hub.crm.campaigns import member_campaigns
from hub.crm.cases import list_cases
from hub.crm.cases_stats import member_feedback


def profile_parts(session: Session, *, member_id: int) -> dict[str, Any]:
    """``crm_received`` [(campaign, arm)], ``crm_cases`` [CaseRow], ``crm_ratings``."""
    cases, _ = list_cases(session, member_id=member_id, limit=20)
    return {"crm_received": member_campaigns(session, member_id=member_id),
            "crm_cases": cases, "crm_ratings": member_feedback(session, member_id=member_id)}
