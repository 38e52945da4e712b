"""Fixed code lists owned by the wire contract, each with its Chinese and English label.

Dish tags and allergens are deliberately not here: their code lists are a
business rule (``rules.dietary``); on the wire they are only checked to be codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class Label(NamedTuple):
    """A display label in both languages."""

    zh: str
    en: str


FEEDBACK_TAGS: Mapping[str, Label] = MappingProxyType(
    {
        "great_taste": Label("味道很好", "Great taste"),
        "good_value": Label("物有所值", "Good value"),
        "friendly_staff": Label("服务热情", "Friendly staff"),
        "too_salty": Label("太咸", "Too salty"),
        "too_bland": Label("太淡", "Too bland"),
        "too_spicy": Label("太辣", "Too spicy"),
        "too_oily": Label("太油", "Too oily"),
        "too_cold": Label("饭菜凉了", "Too cold"),
        "portion_small": Label("分量少", "Portion too small"),
        "slow": Label("出餐慢", "Slow service"),
        "wrong_dish": Label("出错菜", "Wrong dish"),
        "not_clean": Label("卫生欠佳", "Not clean"),
        "foreign_object": Label("有异物", "Foreign object"),
    }
)
"""Feedback tags a diner can tap after a meal."""

def check_codes(
    values: tuple[str, ...], vocabulary: Mapping[str, Label] | None, what: str
) -> None:
    """Raise ValueError naming the first repeated code, or the first not in ``vocabulary``."""
    seen: set[str] = set()
    for value in values:
        if vocabulary is not None and value not in vocabulary:
            known = ", ".join(sorted(vocabulary))
            raise ValueError(f"unknown {what} {value!r}; known: {known}")
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
