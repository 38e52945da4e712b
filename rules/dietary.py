"""The one dietary filter: dish tags, allergens, and who may eat what.

The menu screen, the recommender and the hub's validation all use this
module, so "vegetarian" or "contains peanut" means the same everywhere.
Codes are stable ASCII identifiers stored in the database and on the wire;
labels are what diners see.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol, TypeVar

from rules.errors import UnknownAllergen, UnknownPreference, UnknownTag
from rules.labels import Label

DISH_TAGS: Mapping[str, Label] = MappingProxyType(
    {
        "halal": Label("清真", "Halal"),
        "vegetarian": Label("素食", "Vegetarian"),
        "vegan": Label("纯素", "Vegan"),
        "spicy": Label("辣", "Spicy"),
        "very_spicy": Label("特辣", "Very spicy"),
        "pork": Label("含猪肉", "Contains pork"),
        "beef": Label("含牛肉", "Contains beef"),
        "alcohol": Label("含酒精", "Contains alcohol"),
        "low_salt": Label("少盐", "Low salt"),
        "low_sugar": Label("低糖", "Low sugar"),
        "light": Label("清淡", "Light"),
        "signature": Label("招牌", "Signature"),
        "dessert": Label("甜品", "Dessert"),
        "new": Label("新品", "New"),
    }
)
"""Every dish tag code the system knows, with its zh/en label."""

SPICY_TAGS: frozenset[str] = frozenset({"spicy", "very_spicy"})
"""Tags a "no spice" diner never sees."""

ALLERGENS: Mapping[str, Label] = MappingProxyType(
    {
        # the 14 allergens of EU Regulation 1169/2011, Annex II
        "gluten": Label("含麸质谷物", "Cereals containing gluten"),
        "crustacean": Label("甲壳类（虾蟹）", "Crustaceans"),
        "egg": Label("蛋类", "Eggs"),
        "fish": Label("鱼类", "Fish"),
        "peanut": Label("花生", "Peanuts"),
        "soy": Label("大豆", "Soybeans"),
        "milk": Label("乳制品", "Milk"),
        "tree_nut": Label("坚果", "Tree nuts"),
        "celery": Label("芹菜", "Celery"),
        "mustard": Label("芥末", "Mustard"),
        "sesame": Label("芝麻", "Sesame"),
        "sulphite": Label("亚硫酸盐", "Sulphites"),
        "lupin": Label("羽扇豆", "Lupin"),
        "mollusc": Label("软体动物（贝类）", "Molluscs"),
        # further allergens commonly declared in China and East Asia
        "buckwheat": Label("荞麦", "Buckwheat"),
        "mango": Label("芒果", "Mango"),
    }
)
"""Every allergen code the system knows, with its zh/en label."""

ALLERGEN_GROUPS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"shellfish": frozenset({"crustacean", "mollusc"})}
)
"""Umbrella codes diners and cooks use; they expand to the codes they cover."""

PREFERENCES: Mapping[str, Label] = MappingProxyType(
    {
        "halal": Label("清真", "Halal"),
        "vegetarian": Label("素食", "Vegetarian"),
        "vegan": Label("纯素", "Vegan"),
        "no_spice": Label("不吃辣", "No spice"),
    }
)
"""Dietary preference codes a member profile may hold."""


class HasDietaryInfo(Protocol):
    """Anything with dish tags and allergen codes (a catalog row, a cart line, ...)."""

    @property
    def tags(self) -> Collection[str]:
        """Dish tag codes."""
        ...

    @property
    def allergens(self) -> Collection[str]:
        """Allergen codes (groups allowed)."""
        ...


D = TypeVar("D", bound=HasDietaryInfo)


def validate_tags(codes: Iterable[str]) -> frozenset[str]:
    """Return the tag codes as a frozenset; raise :class:`UnknownTag` on the first unknown."""
    result = frozenset(codes)
    for code in sorted(result):
        if code not in DISH_TAGS:
            raise UnknownTag(code)
    return result


def validate_allergens(codes: Iterable[str]) -> frozenset[str]:
    """Return allergen codes with groups expanded; raise :class:`UnknownAllergen` if unknown.

    ``{"shellfish"} -> {"crustacean", "mollusc"}``: expanding is the safe
    direction both for a dish (it may contain either) and a diner (avoids both).
    """
    result: set[str] = set()
    for code in sorted(set(codes)):
        if code in ALLERGENS:
            result.add(code)
        elif code in ALLERGEN_GROUPS:
            result |= ALLERGEN_GROUPS[code]
        else:
            raise UnknownAllergen(code)
    return frozenset(result)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Why a dish is hidden from a diner: a stable code plus a bilingual label."""

    code: str
    label: Label


@dataclass(frozen=True)
class DietaryFilter:
    """What a diner may be shown; an empty filter allows every dish."""

    halal: bool = False
    vegetarian: bool = False
    vegan: bool = False
    no_spice: bool = False
    hide_allergens: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # normalise here so equal diets compare equal and unknown codes never slip in
        object.__setattr__(self, "hide_allergens", validate_allergens(self.hide_allergens))

    @classmethod
    def from_profile(
        cls, preferences: Iterable[str], allergens: Iterable[str] = ()
    ) -> DietaryFilter:
        """Build the filter from a member profile's preference and allergen codes."""
        prefs = frozenset(preferences)
        for code in sorted(prefs):
            if code not in PREFERENCES:
                raise UnknownPreference(code)
        return cls(
            halal="halal" in prefs,
            vegetarian="vegetarian" in prefs,
            vegan="vegan" in prefs,
            no_spice="no_spice" in prefs,
            hide_allergens=frozenset(allergens),
        )

    def allows(self, dish: HasDietaryInfo) -> bool:
        """True when the dish may be shown to this diner."""
        return not self.reasons(dish)

    def reasons(self, dish: HasDietaryInfo) -> tuple[Exclusion, ...]:
        """Every reason the dish is excluded, in a fixed order; empty when allowed.

        Unknown codes on the dish raise rather than pass: a dish we cannot read
        is not one we may call safe.
        """
        tags = validate_tags(dish.tags)
        found: list[Exclusion] = []
        if self.halal and "halal" not in tags:
            found.append(Exclusion("not_halal", Label("非清真", "Not halal")))
        if self.vegan and "vegan" not in tags:
            found.append(Exclusion("not_vegan", Label("非纯素", "Not vegan")))
        # a vegan dish is vegetarian too, even when the cook tagged only "vegan"
        if self.vegetarian and not tags & {"vegetarian", "vegan"}:
            found.append(Exclusion("not_vegetarian", Label("非素食", "Not vegetarian")))
        if self.no_spice and tags & SPICY_TAGS:
            found.append(Exclusion("spicy", Label("辣", "Spicy")))
        if self.hide_allergens:
            for code in sorted(validate_allergens(dish.allergens) & self.hide_allergens):
                name = ALLERGENS[code]
                found.append(
                    Exclusion(
                        f"allergen:{code}",
                        Label(f"含过敏原：{name.zh}", f"Contains allergen: {name.en}"),
                    )
                )
        else:
            validate_allergens(dish.allergens)
        return tuple(found)

    def apply(self, dishes: Iterable[D]) -> list[D]:
        """The dishes this diner may see, in their original order."""
        return [d for d in dishes if self.allows(d)]
