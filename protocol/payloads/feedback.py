"""``feedback.given``: a diner's rating of an order, and (since 1.1) of its dishes."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator

from protocol.fields import Identifier, LongText, Uuid7, WireModel
from protocol.payloads.order import MAX_LINES
from protocol.vocab import FEEDBACK_TAGS, check_codes

Stars = Annotated[int, Field(strict=True, ge=1, le=5)]


class DishRating(WireModel):
    """One dish of the order rated on its own (schema 1.1): ``dish_id`` as the order line has it."""

    dish_id: Identifier
    rating: Stars
    tags: tuple[str, ...] = Field(default=(), max_length=len(FEEDBACK_TAGS))

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        check_codes(tags, FEEDBACK_TAGS, "feedback tag")
        return tags


class FeedbackGiven(WireModel):
    """A rating of 1-5 stars with optional tags from FEEDBACK_TAGS and a short comment.

    ``dishes`` (schema 1.1, additive): the dishes the diner rated one by one. A 1.0 sender
    leaves it out and the order's rating stands for all its dishes.
    """

    order_id: Uuid7
    rating: Stars
    tags: tuple[str, ...] = Field(default=(), max_length=len(FEEDBACK_TAGS))
    comment: Annotated[LongText, Field(max_length=500)] | None = None
    member_id: Identifier | None = None
    dishes: tuple[DishRating, ...] = Field(default=(), max_length=MAX_LINES)

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        check_codes(tags, FEEDBACK_TAGS, "feedback tag")
        return tags

    @model_validator(mode="after")
    def _each_dish_once(self) -> Self:
        ids = [d.dish_id for d in self.dishes]
        if len(set(ids)) != len(ids):
            raise ValueError("a dish is rated twice in dishes")
        return self
