"""The demo dish catalogue as plain data: categories, stations and every dish."""

from __future__ import annotations

from hub.seed.dishes_breakfast import BREAKFAST_DISHES
from hub.seed.dishes_hot import MEAT_DISHES, VEGETABLE_DISHES
from hub.seed.dishes_noodles_staples import NOODLE_DISHES, SOUP_DISHES, STAPLE_DISHES
from hub.seed.dishes_snacks_drinks import BUFFET_DISHES, COLD_DISHES, DRINK_DISHES, SNACK_DISHES
from hub.seed.records import Category, Dish, Station

CATEGORIES: tuple[Category, ...] = (
    Category("breakfast", "早点", "Breakfast", 10),
    Category("meat", "荤菜", "Meat Dishes", 20),
    Category("vegetable", "素菜", "Vegetable Dishes", 30),
    Category("staple", "主食", "Rice & Staples", 40),
    Category("noodles", "面食", "Noodles & Dumplings", 50),
    Category("soup", "汤", "Soups", 60),
    Category("cold", "凉菜", "Cold Dishes", 70),
    Category("snack", "小吃", "Snacks", 80),
    Category("drink", "饮品", "Drinks", 90),
    Category("buffet", "称重自选", "Weighed Buffet", 100),
)

STATIONS: tuple[Station, ...] = (
    Station("wok", "炒锅", "Wok"),
    Station("noodles", "面档", "Noodle Bar"),
    Station("cold_drinks", "冷菜饮品", "Cold Dishes & Drinks"),
    Station("steamer", "蒸点", "Steamer & Pastry"),
)


DISHES: tuple[Dish, ...] = (
    *BREAKFAST_DISHES,
    *MEAT_DISHES,
    *VEGETABLE_DISHES,
    *STAPLE_DISHES,
    *NOODLE_DISHES,
    *SOUP_DISHES,
    *COLD_DISHES,
    *SNACK_DISHES,
    *DRINK_DISHES,
    *BUFFET_DISHES,
)

DISHES_BY_CODE: dict[str, Dish] = {d.code: d for d in DISHES}
