"""``feedback.given``: a diner's rating of an order."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from protocol.fields import Identifier, LongText, Uuid7, WireModel
from protocol.vocab import FEEDBACK_TAGS, check_codes


class FeedbackGiven(WireModel):
    """A rating of 1-5 stars with optional tags from FEEDBACK_TAGS and a short comment."""

    order_id: Uuid7
    rating: Annotated[int, Field(strict=True, ge=1, le=5)]
    tags: tuple[str, ...] = Field(default=(), max_length=len(FEEDBACK_TAGS))
    comment: Annotated[LongText, Field(max_length=500)] | None = None
    member_id: Identifier | None = None

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        check_codes(tags, FEEDBACK_TAGS, "feedback tag")
        return tags
