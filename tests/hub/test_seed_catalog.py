"""The demo catalogue reads like a real Chinese canteen and is safe for dietary filters."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from hub.models.validators import CODE_PATTERN
from hub.seed.catalog import CATEGORIES, DISHES, DISHES_BY_CODE, STATIONS
from hub.seed.menus import MENUS, SET_MEALS
from hub.seed.records import MEAL_PERIOD_CODES
from hub.seed.sites import SITES, XINGHE
from rules.dietary import ALLERGENS, DISH_TAGS, DietaryFilter

CJK = re.compile(r"[\u4e00-\u9fff]")
ANIMAL_ALLERGENS = {"egg", "milk", "fish", "crustacean", "mollusc"}
CATEGORY_CODES = {c.code for c in CATEGORIES}


def menu_dishes(site_code: str, period: str) -> list:
    """The dishes offered (available, not sold out) on one menu."""
    menu = next(m for m in MENUS if m.site_code == site_code and m.period_code == period)
    return [DISHES_BY_CODE[i.dish_code] for i in menu.items if i.available and not i.sold_out]


def test_at_least_sixty_dishes_with_unique_codes_the_hub_accepts() -> None:
    assert len(DISHES) >= 60
    assert len(DISHES_BY_CODE) == len(DISHES)
    for d in DISHES:
        assert re.match(CODE_PATTERN, d.code), d.code


def test_site_device_period_and_set_meal_codes_are_ones_the_hub_accepts() -> None:
    unique = [s.code for s in SET_MEALS]
    for site in SITES:
        unique += [site.org_code, site.code, *(d.code for d in site.devices)]
    assert len(set(unique)) == len(unique)
    for code in [*unique, *MEAL_PERIOD_CODES]:
        assert re.match(CODE_PATTERN, code), code


def test_every_dish_is_named_and_described_in_chinese_and_english() -> None:
    for d in DISHES:
        assert CJK.search(d.name_zh) and CJK.search(d.desc_zh), d.code
        assert d.name_en.strip() and d.desc_en.strip(), d.code
        assert not CJK.search(d.name_en) and not CJK.search(d.desc_en), d.code


def test_the_classic_dishes_are_on_the_catalogue() -> None:
    names = {d.name_zh for d in DISHES}
    for expected in ("宫保鸡丁", "番茄炒蛋", "清炒时蔬", "红烧肉", "麻婆豆腐", "兰州牛肉面",
                     "油条", "现磨豆浆", "小笼包", "皮蛋瘦肉粥", "酸辣粉", "凉拌黄瓜"):
        assert expected in names


def test_codes_are_the_ones_rules_dietary_knows() -> None:
    for d in DISHES:
        assert d.tags <= DISH_TAGS.keys(), (d.code, d.tags - DISH_TAGS.keys())
        assert d.allergens <= ALLERGENS.keys(), (d.code, d.allergens - ALLERGENS.keys())
        assert d.category in CATEGORY_CODES
        assert d.station in {s.code for s in STATIONS}


def test_all_categories_and_at_least_three_stations_are_used() -> None:
    assert {d.category for d in DISHES} == CATEGORY_CODES
    assert len({d.station for d in DISHES}) >= 3


@pytest.mark.parametrize(
    ("code", "allergens", "tags"),
    [
        ("kung-pao-chicken", {"peanut"}, {"spicy"}),
        ("mapo-tofu", {"soy"}, {"spicy"}),
        ("lanzhou-beef-noodles", {"gluten"}, {"halal"}),
        ("tomato-egg", {"egg"}, {"vegetarian"}),
        ("yangzhou-fried-rice", {"egg", "crustacean"}, {"pork"}),
        ("hot-sour-glass-noodles", {"peanut"}, {"spicy"}),
        ("steamed-bass", {"fish"}, set()),
        ("youtiao", {"gluten"}, {"vegan"}),
    ],
)
def test_well_known_dishes_declare_their_allergens_and_tags(
    code: str, allergens: set[str], tags: set[str]
) -> None:
    d = DISHES_BY_CODE[code]
    assert allergens <= d.allergens
    assert tags <= d.tags


def test_halal_and_vegetarian_tags_never_contradict_the_ingredients() -> None:
    for d in DISHES:
        if "halal" in d.tags:
            assert "pork" not in d.tags, d.code
        if d.tags & {"vegetarian", "vegan"}:
            assert not d.tags & {"pork", "beef"}, d.code
            assert d.category != "meat", d.code
            assert not d.allergens & {"fish", "crustacean", "mollusc"}, d.code
        if "vegan" in d.tags:
            assert not d.allergens & ANIMAL_ALLERGENS, d.code
        if d.category == "vegetable":
            assert d.tags & {"vegetarian", "vegan"}, d.code
        if "very_spicy" in d.tags:
            assert "spicy" in d.tags, d.code


def test_halal_is_plausible_not_everywhere() -> None:
    halal = [d for d in DISHES if "halal" in d.tags]
    assert 3 <= len(halal) <= len(DISHES) // 5


def test_portion_prices_are_realistic_integer_fen() -> None:
    for d in DISHES:
        assert type(d.price_fen) is int
        if d.per_100g:
            assert 100 <= d.price_fen <= 600, d.code
        else:
            assert 200 <= d.price_fen <= 3000, d.code
        if d.member_price_fen is not None:
            assert type(d.member_price_fen) is int
            assert 0.8 * d.price_fen <= d.member_price_fen < d.price_fen, d.code
    assert sum(d.member_price_fen is not None for d in DISHES) >= 10


def test_weighed_buffet_exists() -> None:
    weighed = [d for d in DISHES if d.per_100g]
    assert weighed and all(d.category == "buffet" for d in weighed)
    assert {d.code for d in DISHES if d.category == "buffet"} == {d.code for d in weighed}


def test_nutrition_is_plausible_per_portion() -> None:
    for d in DISHES:
        n = d.nutrition
        assert 0 <= n.kcal <= 900, d.code
        assert 0 <= n.sodium_mg <= 2000, d.code
        assert n.kcal == round(4 * n.protein_g + 9 * n.fat_g + 4 * n.carbs_g)
    pork_belly, tomato_egg = DISHES_BY_CODE["hongshao-rou"], DISHES_BY_CODE["tomato-egg"]
    assert pork_belly.nutrition.fat_g > tomato_egg.nutrition.fat_g
    assert DISHES_BY_CODE["mineral-water"].nutrition.kcal == 0


def test_each_site_has_a_menu_for_all_four_meal_periods() -> None:
    for site in SITES:
        assert tuple(p.code for p in site.meal_periods) == MEAL_PERIOD_CODES
        for period in MEAL_PERIOD_CODES:
            assert len(menu_dishes(site.code, period)) >= 10, (site.code, period)


def test_every_dish_is_on_some_menu_and_menus_only_name_known_dishes() -> None:
    on_menus = {i.dish_code for m in MENUS for i in m.items}
    assert on_menus == set(DISHES_BY_CODE)


def test_menus_show_some_dishes_unavailable_or_sold_out() -> None:
    items = [i for m in MENUS for i in m.items]
    assert any(not i.available for i in items)
    assert any(i.sold_out for i in items)


@pytest.mark.parametrize("diet", ["halal", "vegetarian", "vegan", "no_spice"])
def test_a_diner_with_a_diet_finds_food_at_every_meal(diet: str) -> None:
    f = DietaryFilter.from_profile([diet])
    for period in MEAL_PERIOD_CODES:
        assert f.apply(menu_dishes(XINGHE.code, period)), (diet, period)


def test_a_peanut_allergic_diner_never_sees_kung_pao_chicken() -> None:
    f = DietaryFilter.from_profile([], ["peanut"])
    assert DISHES_BY_CODE["kung-pao-chicken"] not in f.apply(menu_dishes(XINGHE.code, "lunch"))


def test_build_your_own_set_meals_have_enough_dishes_in_each_slot_at_lunch() -> None:
    lunch = Counter(d.category for d in menu_dishes(XINGHE.code, "lunch"))
    byo = [s for s in SET_MEALS if s.kind == "build_your_own"]
    assert any(s.name_zh == "两荤一素加米饭" for s in byo)
    for meal in byo:
        for slot in meal.slots:
            assert slot.category in CATEGORY_CODES
            # rules.setmeals fills each slot with an exact count
            assert slot.min_picks == slot.max_picks >= 1
            assert lunch[slot.category] >= slot.max_picks, (meal.code, slot.category)


def test_fixed_combos_name_real_dishes_and_save_money() -> None:
    fixed = [s for s in SET_MEALS if s.kind == "fixed"]
    assert fixed
    for meal in fixed:
        total = sum(DISHES_BY_CODE[code].price_fen * qty for code, qty in meal.items)
        assert 0 < meal.price_fen < total, meal.code
