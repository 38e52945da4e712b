"""The one dietary filter: codes, validation, and who may see which dish."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rules.dietary import (
    ALLERGENS,
    DISH_TAGS,
    DietaryFilter,
    validate_allergens,
    validate_tags,
)
from rules.errors import UnknownAllergen, UnknownPreference, UnknownTag


@dataclass(frozen=True)
class Dish:
    name: str
    tags: frozenset[str] = frozenset()
    allergens: frozenset[str] = frozenset()


MAPO = Dish("mapo tofu", frozenset({"spicy"}), frozenset({"soy"}))
SALAD = Dish("salad", frozenset({"vegan"}), frozenset({"sesame"}))
OMELETTE = Dish("omelette", frozenset({"vegetarian", "halal"}), frozenset({"egg"}))
PORK = Dish("pork bun", frozenset({"pork"}), frozenset({"gluten"}))
PRAWNS = Dish("prawns", frozenset({"halal"}), frozenset({"shellfish"}))


def test_the_fourteen_eu_allergens_and_chinese_ones_are_known() -> None:
    eu = {
        "gluten",
        "crustacean",
        "egg",
        "fish",
        "peanut",
        "soy",
        "milk",
        "tree_nut",
        "celery",
        "mustard",
        "sesame",
        "sulphite",
        "lupin",
        "mollusc",
    }
    assert eu <= set(ALLERGENS)
    assert {"buckwheat", "mango"} <= set(ALLERGENS)
    for label in [*ALLERGENS.values(), *DISH_TAGS.values()]:
        assert label.zh and label.en and label.zh != label.en


def test_validate_tags_refuses_unknown_code_with_bilingual_message() -> None:
    assert validate_tags(["halal", "spicy"]) == {"halal", "spicy"}
    with pytest.raises(UnknownTag) as err:
        validate_tags(["halal", "glutenfree"])
    assert err.value.code == "glutenfree"
    assert "未知" in err.value.label.zh and "unknown" in err.value.label.en


def test_validate_allergens_expands_shellfish_and_refuses_unknown() -> None:
    assert validate_allergens(["shellfish", "egg"]) == {"crustacean", "mollusc", "egg"}
    with pytest.raises(UnknownAllergen):
        validate_allergens(["peanuts"])


def test_empty_filter_allows_everything() -> None:
    f = DietaryFilter()
    assert all(f.allows(d) for d in (MAPO, SALAD, OMELETTE, PORK, PRAWNS))


def test_vegetarian_accepts_vegan_and_vegetarian_dishes_only() -> None:
    f = DietaryFilter(vegetarian=True)
    assert f.apply([MAPO, SALAD, OMELETTE, PORK]) == [SALAD, OMELETTE]


def test_vegan_refuses_vegetarian_only_dish() -> None:
    f = DietaryFilter(vegan=True)
    assert f.allows(SALAD) and not f.allows(OMELETTE)
    assert [r.code for r in f.reasons(OMELETTE)] == ["not_vegan"]


def test_no_spice_hides_spicy_and_very_spicy() -> None:
    f = DietaryFilter(no_spice=True)
    assert not f.allows(MAPO)
    assert not f.allows(Dish("hotpot", frozenset({"very_spicy"})))
    assert f.allows(OMELETTE)


def test_halal_requires_the_halal_tag() -> None:
    f = DietaryFilter(halal=True)
    assert f.apply([MAPO, OMELETTE, PORK, PRAWNS]) == [OMELETTE, PRAWNS]


def test_allergens_hidden_including_group_on_dish_or_profile() -> None:
    assert not DietaryFilter(hide_allergens=frozenset({"mollusc"})).allows(PRAWNS)
    assert not DietaryFilter(hide_allergens=frozenset({"shellfish"})).allows(PRAWNS)
    assert DietaryFilter(hide_allergens=frozenset({"peanut"})).allows(PRAWNS)


def test_reasons_are_bilingual_and_list_every_cause() -> None:
    f = DietaryFilter.from_profile(["vegetarian", "no_spice"], ["soy"])
    reasons = f.reasons(MAPO)
    assert [r.code for r in reasons] == ["not_vegetarian", "spicy", "allergen:soy"]
    assert reasons[2].label.zh == "含过敏原：大豆"
    assert reasons[2].label.en == "Contains allergen: Soybeans"


def test_from_profile_builds_the_same_filter_as_the_fields() -> None:
    assert DietaryFilter.from_profile(["halal", "no_spice"], ["shellfish"]) == DietaryFilter(
        halal=True, no_spice=True, hide_allergens=frozenset({"crustacean", "mollusc"})
    )


def test_from_profile_refuses_unknown_preference_and_allergen() -> None:
    with pytest.raises(UnknownPreference):
        DietaryFilter.from_profile(["keto"], [])
    with pytest.raises(UnknownAllergen):
        DietaryFilter.from_profile([], ["nuts"])


def test_a_dish_with_an_unknown_code_is_refused_not_shown() -> None:
    with pytest.raises(UnknownTag):
        DietaryFilter().allows(Dish("x", frozenset({"yummy"})))
    with pytest.raises(UnknownAllergen):
        egg_free = DietaryFilter(hide_allergens=frozenset({"egg"}))
        egg_free.allows(Dish("x", allergens=frozenset({"nut"})))
    with pytest.raises(UnknownAllergen):
        DietaryFilter().allows(Dish("x", allergens=frozenset({"nut"})))
