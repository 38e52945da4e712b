"""Field checks shared by several model shapes (time zones, codes, phone numbers)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from protocol.fields import CODE_PATTERN as WIRE_CODE_PATTERN
from protocol.fields import check_code, check_name
from rules.dietary import DietaryFilter, validate_allergens, validate_tags

# The hub's own identifiers (site, device, dish, member number, set meal): a wire
# Identifier (protocol.topics.ID_PATTERN, 1-64 of [A-Za-z0-9_.-]) that also starts with a
# letter or digit and fits the 32-character columns. tests/hub/test_wire_patterns.py
# checks that everything this accepts the wire accepts.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
PHONE_RE = re.compile(r"^\+?[0-9]{5,20}$")


def check_wire_code(value: str, what: str = "code") -> str:
    """A code that travels in a catalog (meal period, category, station, tier): protocol's rule."""
    return check_code(value, what)


def check_wire_name(value: str, what: str = "name") -> str:
    """A display name that travels in a catalog (dish, set meal, meal period): protocol's rule."""
    return check_name(value, what)


def wire_code_schema() -> dict[str, object]:
    """OpenAPI of a wire code field: protocol's pattern, documented (the check is a validator)."""
    return {"json_schema_extra": {"pattern": WIRE_CODE_PATTERN}}


def check_timezone(value: str) -> str:
    """Accept an IANA zone name such as Asia/Shanghai."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)"
        ) from err
    return value


def normalise_phone(value: str) -> str:
    """Strip spaces, dashes and brackets; refuse anything that is not a phone number."""
    compact = re.sub(r"[\s\-()]", "", value)
    if not PHONE_RE.match(compact):
        raise ValueError("phone must be 5-20 digits, optionally starting with +")
    return compact


def _normalise(values: list[str]) -> list[str]:
    # Trimmed, lower-case, de-duplicated, first-seen order: stable JSON in the database.
    seen: list[str] = []
    for raw in values:
        code = raw.strip().lower()
        if code not in seen:
            seen.append(code)
    return seen


def check_tags(values: list[str]) -> list[str]:
    """Dish tag codes known to rules.dietary (spicy, halal, vegetarian...)."""
    codes = _normalise(values)
    validate_tags(codes)
    return codes


def check_allergens(values: list[str]) -> list[str]:
    """Allergen codes known to rules.dietary; groups such as shellfish are expanded."""
    return sorted(validate_allergens(_normalise(values)))


def check_preferences(values: list[str]) -> list[str]:
    """A member's dietary preference codes known to rules.dietary (halal, no_spice...)."""
    codes = _normalise(values)
    DietaryFilter.from_profile(codes)
    return codes
