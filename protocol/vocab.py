"""Fixed code lists that travel on the wire, each with its Chinese and English label."""

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

DISH_TAGS: Mapping[str, Label] = MappingProxyType(
    {
        "spicy": Label("辣", "Spicy"),
        "halal": Label("清真", "Halal"),
        "vegetarian": Label("素食", "Vegetarian"),
        "vegan": Label("纯素", "Vegan"),
        "low_salt": Label("少盐", "Low salt"),
        "low_sugar": Label("低糖", "Low sugar"),
        "low_fat": Label("低脂", "Low fat"),
        "high_protein": Label("高蛋白", "High protein"),
        "signature": Label("招牌", "Signature"),
        "new": Label("新品", "New"),
    }
)
"""Dietary and marketing tags a dish can carry."""

ALLERGENS: Mapping[str, Label] = MappingProxyType(
    {
        "gluten": Label("麸质", "Gluten"),
        "crustaceans": Label("甲壳类", "Crustaceans"),
        "eggs": Label("蛋类", "Eggs"),
        "fish": Label("鱼类", "Fish"),
        "peanuts": Label("花生", "Peanuts"),
        "soy": Label("大豆", "Soy"),
        "milk": Label("乳类", "Milk"),
        "tree_nuts": Label("坚果", "Tree nuts"),
        "celery": Label("芹菜", "Celery"),
        "mustard": Label("芥末", "Mustard"),
        "sesame": Label("芝麻", "Sesame"),
        "sulphites": Label("亚硫酸盐", "Sulphites"),
        "lupin": Label("羽扇豆", "Lupin"),
        "molluscs": Label("软体动物", "Molluscs"),
    }
)
"""Allergens declared on dishes (the 14 major allergens)."""


def check_codes(values: tuple[str, ...], vocabulary: Mapping[str, Label], what: str) -> None:
    """Raise ValueError naming the first code not in ``vocabulary`` or the first repeat."""
    seen: set[str] = set()
    for value in values:
        if value not in vocabulary:
            known = ", ".join(sorted(vocabulary))
            raise ValueError(f"unknown {what} {value!r}; known: {known}")
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
