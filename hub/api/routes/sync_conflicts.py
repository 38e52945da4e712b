"""/sync/conflicts: uplinks refused because they reused an id with different content."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hub.api.deps import EDITORS, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.ingest.conflicts import ConflictKind, ConflictPublic, list_conflicts
from protocol.topics import ID_PATTERN

router = APIRouter(prefix="/sync", tags=["sync"], dependencies=[require_role(*EDITORS)])


@router.get("/conflicts", response_model=Page[ConflictPublic])
def get_conflicts(
    session: SessionDep,
    page: PageDep,
    site: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    device: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    kind: ConflictKind | None = None,
) -> Page[ConflictPublic]:
    """Conflicts, newest first: the total the device sent beside the total the hub stored."""
    items, total = list_conflicts(session, site=site, device=device, kind=kind,
                                  limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
