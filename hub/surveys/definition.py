"""What a survey may ask and what an answer may say: the one place both are checked.

A survey is 1-10 questions; a question is a ``choice`` (pick one, or up to ``max_picks``),
a ``rating`` (1-5 stars) or a short ``text``. A dish vote is one choice question whose
choices are dishes (their codes and names, copied when the vote is made: a dish renamed
later does not change what members voted for).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from hub.errors import InvalidInputError

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
TEXT_ANSWER_MAX = 500


class Choice(BaseModel):
    """One option of a choice question."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    zh: Label
    en: Label


class Question(BaseModel):
    """One question, in both languages."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    kind: Literal["choice", "rating", "text"]
    text_zh: Label
    text_en: Label
    required: bool = True
    choices: list[Choice] = Field(default_factory=list, max_length=40)
    max_picks: int = Field(1, ge=1, le=10)

    @model_validator(mode="after")
    def _choices_fit_the_kind(self) -> Question:
        if self.kind == "choice":
            if len(self.choices) < 2:
                raise ValueError("a choice needs at least two options")
            codes = [c.code for c in self.choices]
            if len(set(codes)) != len(codes):
                raise ValueError("option codes repeat")
            if self.max_picks > len(self.choices):
                raise ValueError("more picks allowed than there are options")
        elif self.choices:
            raise ValueError("only a choice question has options")
        return self


class SurveyIn(BaseModel):
    """A new survey or dish vote, as a manager writes it."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["dish_vote", "survey"]
    site_id: int | None = Field(None, ge=1, le=2**31 - 1)
    title_zh: Label
    title_en: Label
    opens_at: datetime
    closes_at: datetime
    questions: list[Question] = Field(default_factory=list, max_length=10)
    # dish_vote: the dishes to vote on (codes); the question is made from them
    dishes: list[Code] = Field(default_factory=list, max_length=40)
    max_picks: int = Field(3, ge=1, le=10)

    @model_validator(mode="after")
    def _shape(self) -> SurveyIn:
        if self.opens_at.tzinfo is None or self.closes_at.tzinfo is None:
            raise ValueError("opens_at and closes_at need a time zone")
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        if self.kind == "survey":
            if not self.questions:
                raise ValueError("a survey needs at least one question")
            if self.dishes:
                raise ValueError("dishes belong to a dish vote, not a survey")
            codes = [q.code for q in self.questions]
            if len(set(codes)) != len(codes):
                raise ValueError("question codes repeat")
        else:
            if self.questions:
                raise ValueError("a dish vote has no questions of its own: list the dishes")
            if len(self.dishes) < 2 or len(set(self.dishes)) != len(self.dishes):
                raise ValueError("a dish vote needs at least two different dishes")
        return self


def dish_vote_question(choices: list[Choice], max_picks: int) -> Question:
    """The one question of a dish vote."""
    return Question(code="dishes", kind="choice", text_zh="您希望哪些菜上菜单？",
                    text_en="Which dishes would you like on the menu?", choices=choices,
                    max_picks=min(max_picks, len(choices)))


def check_answers(questions: list[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers, normalised; InvalidInputError names the question and the reason."""
    known = {q.code: q for q in questions}
    for code in answers:
        if code not in known:
            raise InvalidInputError(f"no question {code!r} in this survey", field=code)
    out: dict[str, Any] = {}
    for q in questions:
        value = answers.get(q.code)
        if value is None or value == "" or value == []:
            if q.required:
                raise InvalidInputError("this question needs an answer", field=q.code)
            continue
        if q.kind == "rating":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise InvalidInputError("a rating is a whole number from 1 to 5", field=q.code)
            out[q.code] = value
        elif q.kind == "text":
            if not isinstance(value, str) or len(value.strip()) > TEXT_ANSWER_MAX:
                raise InvalidInputError(f"text of at most {TEXT_ANSWER_MAX} characters",
                                        field=q.code)
            if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
                raise InvalidInputError("control characters are not allowed", field=q.code)
            out[q.code] = value.strip()
        else:
            picks = [value] if isinstance(value, str) else value
            if not isinstance(picks, list) or not all(isinstance(p, str) for p in picks):
                raise InvalidInputError("pick options by their codes", field=q.code)
            options = {c.code for c in q.choices}
            if len(set(picks)) != len(picks) or not set(picks) <= options:
                raise InvalidInputError("an unknown or repeated option", field=q.code)
            if len(picks) > q.max_picks:
                raise InvalidInputError(f"at most {q.max_picks} options", field=q.code)
            out[q.code] = picks
    return out
