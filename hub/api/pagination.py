"""Limit/offset pagination: the query parameters and the page shape with a total count."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from hub.models.bounds import MAX_DB_INT

T = TypeVar("T")

MAX_LIMIT = 200
MAX_OFFSET = MAX_DB_INT  # past any table's last row; larger overflows the database's integer


class Page(BaseModel, Generic[T]):
    """One page of a list: the items plus the total count before limit/offset."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    """How much of a list to return."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
) -> PageParams:
    """Read limit and offset from the query string."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]
