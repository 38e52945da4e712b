"""Field types and the base model shared by every payload: strict numbers, UTC times, safe text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from protocol.ids import UUID7_PATTERN
from protocol.topics import ID_PATTERN

# Validation context key: set when a message of a newer minor version is parsed,
# so fields this code does not know yet are dropped instead of refused.
IGNORE_UNKNOWN_FIELDS = "ignore_unknown_fields"

# Bounds keep every number inside PostgreSQL bigint and JavaScript's safe range.
MAX_INT = 2**53 - 1
MAX_CENTS = 100_000_000  # ￥1,000,000: far above any canteen amount, far below overflow

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


class WireModel(BaseModel):
    """Base of every wire model: unknown fields refused, instances immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown_fields_of_newer_minor(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and info.context and info.context.get(IGNORE_UNKNOWN_FIELDS):
            return {k: v for k, v in data.items() if k in cls.model_fields}
        return data


def _no_control_chars(value: str) -> str:
    # NUL cannot be stored in PostgreSQL text, lone surrogates cannot be encoded as UTF-8,
    # other controls garble receipts and screens.
    if _CONTROL_RE.search(value):
        raise ValueError(
            "control characters and lone surrogates are not allowed (tab and newline are)"
        )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _to_utc(value: object) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and _ISO_RE.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as err:
            raise ValueError(f"not a valid date-time: {value!r}") from err
    else:
        raise ValueError("expected an ISO 8601 UTC date-time such as '2025-03-01T11:32:05Z'")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("date-time has no UTC offset; write it in UTC with a trailing 'Z'")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as err:  # e.g. year 1 with a negative offset
        raise ValueError(f"date-time out of range: {value!r}") from err


def format_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a trailing Z; microseconds only when non-zero (deterministic)."""
    naive = value.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(timespec="microseconds" if naive.microsecond else "seconds") + "Z"


UtcDatetime = Annotated[
    datetime, PlainValidator(_to_utc), PlainSerializer(format_utc, return_type=str)
]
"""Aware datetime normalised to UTC; naive values and non-strings/non-datetimes are refused."""

Uuid7 = Annotated[str, StringConstraints(pattern=UUID7_PATTERN)]
"""Lowercase canonical UUIDv7 string."""

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""Id of a site, device, dish, member...: 1-64 of [A-Za-z0-9_.-]."""

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
"""The one definition of a wire code; the hub's API checks its codes with it too."""
CODE_RULE = "a lower-case letter, then up to 31 lower-case letters, digits or _"
_CODE_RE = re.compile(CODE_PATTERN)


def check_code(value: str, what: str = "code") -> str:
    """Return ``value`` if it is a wire code, else raise ValueError saying what a code is."""
    if not _CODE_RE.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a valid code: {CODE_RULE} (e.g. late_snack)")
    return value


ORDER_NO_PATTERN = r"^[A-Z0-9-]{1,12}$"
"""The number a diner is called by (``A023``): capitals, digits and ``-``, 1-12 long."""

Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
"""Lowercase machine code such as a meal period ``lunch`` or a station ``wok``."""

MAX_NAME = 80
"""The longest display name (a dish, a meal period, a set meal) a message carries."""

Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_NAME),
    AfterValidator(_no_control_chars),
    AfterValidator(_not_blank),
]
"""Short display text (a dish name), 1-80 characters, not blank."""


def check_name(value: str, what: str = "name") -> str:
    """Return ``value`` if it is a wire Name, else raise ValueError saying why."""
    if len(value) > MAX_NAME:
        raise ValueError(f"{what} is {len(value)} characters; kiosks show at most {MAX_NAME}")
    try:
        return _not_blank(_no_control_chars(value))
    except ValueError as err:
        raise ValueError(f"{what}: {err}") from err

ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_control_chars)]
"""Up to 200 characters: a payment reference, a status string, a version label."""

LongText = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_no_control_chars)]
"""Up to 1000 characters: a description or a comment."""

Cents = Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS)]
"""A non-negative amount in fen (minor units); JSON integers only."""

SignedCents = Annotated[int, Field(strict=True, ge=-MAX_CENTS, le=MAX_CENTS)]
"""An amount in fen that may be negative (a modifier that makes a dish cheaper)."""

Count = Annotated[int, Field(strict=True, ge=0, le=MAX_INT)]
"""A non-negative integer (JSON integers only)."""

Positive = Annotated[int, Field(strict=True, ge=1, le=MAX_INT)]
"""A positive integer (JSON integers only)."""

Flag = StrictBool
"""A JSON boolean; no "yes", no 1."""
