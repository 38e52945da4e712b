"""Path and query parameter types shared by the routes (bounded, see hub.models.bounds)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from hub.models.bounds import MAX_ID

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="row id")]
"""A row id in the path: 1 .. 2^31 - 1, else 422 (never a database overflow)."""

IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="row id")]
"""An optional row id filter in the query string."""
