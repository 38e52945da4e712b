"""Field checks shared by several model shapes (time zones, codes, phone numbers)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
PHONE_RE = re.compile(r"^\+?[0-9]{5,20}$")


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


def check_codes(values: list[str], *, kind: str) -> list[str]:
    """Lower-case, de-duplicate and keep order of short code strings (tags, allergens)."""
    seen: list[str] = []
    for raw in values:
        code = raw.strip().lower()
        if not code:
            raise ValueError(f"empty {kind} code")
        if code not in seen:
            seen.append(code)
    return seen


def check_tags(values: list[str]) -> list[str]:
    """Dietary tags (spicy, halal, vegetarian...) from the shared rules package."""
    return check_codes(values, kind="tag")


def check_allergens(values: list[str]) -> list[str]:
    """Allergen codes from the shared rules package."""
    return check_codes(values, kind="allergen")
