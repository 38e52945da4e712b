"""Staples (主食), noodles and dumplings (面食) and soups (汤)."""

from __future__ import annotations

from typing import Any

from hub.seed.records import Dish, dish


def _staple(code: str, names: tuple[str, str], descs: tuple[str, str], **kw: Any) -> Dish:
    kw.setdefault("station", "wok")
    return dish(code, names, descs, cat="staple", **kw)


def _noodle(code: str, names: tuple[str, str], descs: tuple[str, str], **kw: Any) -> Dish:
    return dish(code, names, descs, cat="noodles", station="noodles", **kw)


def _soup(code: str, names: tuple[str, str], descs: tuple[str, str], **kw: Any) -> Dish:
    return dish(code, names, descs, cat="soup", station="wok", **kw)


STAPLE_DISHES: tuple[Dish, ...] = (
    _staple("rice", ("米饭", "Steamed Rice"),
            ("东北大米饭一碗", "A bowl of north-eastern steamed rice"),
            station="steamer", price=200, tags="vegan", nut=(5.0, 0.5, 58.0, 5), periods="LDN"),
    _staple("multigrain-rice", ("杂粮饭", "Multigrain Rice"),
            ("糙米、小米、红豆混蒸", "Brown rice, millet and red beans steamed together"),
            station="steamer", price=300, tags="vegan light", nut=(6.0, 1.5, 52.0, 8)),
    _staple("yangzhou-fried-rice", ("扬州炒饭", "Yangzhou Fried Rice"),
            ("鸡蛋、火腿、虾仁、青豆炒饭", "Fried rice with egg, ham, shrimp and peas"),
            price=1200, member=1080, allergens="egg crustacean soy gluten",
            tags="pork", nut=(18.0, 16.0, 75.0, 980), periods="LDN"),
    _staple("egg-fried-rice", ("蛋炒饭", "Egg Fried Rice"),
            ("金包银蛋炒饭", "Golden egg fried rice with scallion"),
            price=900, allergens="egg", tags="vegetarian", nut=(14.0, 15.0, 72.0, 720),
            periods="LDN"),
    _staple("scallion-roll", ("花卷", "Steamed Scallion Roll"),
            ("葱香花卷", "Twisted steamed bun with scallion"),
            station="steamer", price=200, allergens="gluten", tags="vegan",
            nut=(6.0, 3.0, 42.0, 260), periods="BLD"),
)

NOODLE_DISHES: tuple[Dish, ...] = (
    _noodle("lanzhou-beef-noodles", ("兰州牛肉面", "Lanzhou Beef Noodle Soup (Halal)"),
            ("清真窗口现拉面，一清二白三红四绿",
             "Halal counter: hand-pulled noodles in clear beef broth"),
            price=1500, member=1350, allergens="gluten", tags="halal beef signature",
            nut=(22.0, 10.0, 78.0, 1600), periods="BLDN"),
    _noodle("hot-sour-glass-noodles", ("酸辣粉", "Hot & Sour Glass Noodles"),
            ("红薯粉、花生、酸菜，酸辣过瘾",
             "Sweet-potato noodles with peanuts and pickles, hot and sour"),
            price=1000, allergens="peanut soy gluten", tags="vegan spicy",
            nut=(8.0, 14.0, 70.0, 1700), periods="LDN"),
    _noodle("tomato-egg-noodles", ("西红柿鸡蛋面", "Tomato & Egg Noodles"),
            ("番茄鸡蛋卤汤面", "Noodles in a tomato and egg broth"),
            price=1100, allergens="gluten egg", tags="vegetarian",
            nut=(16.0, 12.0, 74.0, 1200)),
    _noodle("zhajiang-noodles", ("老北京炸酱面", "Beijing Zhajiang Noodles"),
            ("手擀面配肉丁炸酱和菜码", "Hand-rolled noodles with pork and fermented bean sauce"),
            price=1300, allergens="gluten soy", tags="pork", nut=(22.0, 18.0, 80.0, 1450)),
    _noodle("chongqing-noodles", ("重庆小面", "Chongqing Spicy Noodles"),
            ("麻辣红油小面，花生碎", "Fiery numbing noodles with crushed peanuts"),
            price=1000, allergens="gluten soy peanut sesame", tags="vegan spicy",
            nut=(14.0, 16.0, 72.0, 1650), periods="BLDN"),
    _noodle("dandan-noodles", ("担担面", "Dan Dan Noodles"),
            ("芝麻酱、肉臊、芽菜", "Sesame paste, crispy minced pork and preserved greens"),
            price=1200, allergens="gluten soy peanut sesame", tags="spicy pork",
            nut=(20.0, 22.0, 70.0, 1500), periods="LDN"),
    _noodle("braised-beef-noodles", ("红烧牛肉面", "Braised Beef Noodles"),
            ("大块红烧牛肉，浓汤宽面", "Wide noodles with chunks of braised beef in rich broth"),
            price=1800, member=1600, allergens="gluten soy", tags="spicy beef",
            nut=(28.0, 16.0, 76.0, 1800), periods="LDN"),
    _noodle("pork-wontons", ("鲜肉馄饨", "Pork Wontons in Broth"),
            ("鲜肉馄饨12只，紫菜虾皮汤", "12 pork wontons in seaweed and dried-shrimp broth"),
            price=1200, allergens="gluten soy crustacean", tags="pork",
            nut=(18.0, 12.0, 42.0, 1250), periods="BLDN"),
    _noodle("pork-cabbage-dumplings", ("猪肉白菜水饺", "Pork & Cabbage Dumplings"),
            ("手包水饺15只", "15 hand-made boiled dumplings"),
            price=1400, allergens="gluten soy", tags="pork", nut=(22.0, 18.0, 60.0, 1100),
            periods="LDN"),
    _noodle("chive-egg-dumplings", ("韭菜鸡蛋水饺", "Chive & Egg Dumplings"),
            ("素馅水饺15只", "15 boiled dumplings with chives and egg"),
            price=1300, allergens="gluten egg", tags="vegetarian",
            nut=(16.0, 14.0, 58.0, 900), periods="LDN"),
    _noodle("beef-chow-fun", ("干炒牛河", "Beef Chow Fun"),
            ("广式宽河粉干炒牛肉", "Cantonese wide rice noodles wok-fried with beef"),
            price=1600, allergens="soy gluten", tags="beef", nut=(20.0, 20.0, 68.0, 1300),
            periods="LDN"),
    _noodle("lamb-paomo", ("羊肉泡馍", "Lamb Soup with Torn Flatbread (Halal)"),
            ("清真窗口，西安羊肉泡馍", "Halal counter: Xi'an lamb broth with torn flatbread"),
            price=2200, allergens="gluten", tags="halal", nut=(28.0, 18.0, 70.0, 1500)),
)

SOUP_DISHES: tuple[Dish, ...] = (
    _soup("seaweed-egg-soup", ("紫菜蛋花汤", "Seaweed & Egg Drop Soup"),
          ("紫菜蛋花清汤", "Light soup of laver seaweed and egg ribbons"),
          price=300, allergens="egg", tags="vegetarian", nut=(4.0, 3.0, 2.0, 620)),
    _soup("corn-rib-soup", ("玉米排骨汤", "Corn & Pork Rib Soup"),
          ("排骨玉米胡萝卜慢炖", "Pork ribs, sweet corn and carrot simmered for hours"),
          price=800, tags="pork", nut=(12.0, 14.0, 12.0, 650)),
    _soup("hot-sour-soup", ("酸辣汤", "Hot & Sour Soup"),
          ("豆腐丝、木耳、蛋花，胡椒酸辣", "Tofu, wood ear and egg in a peppery vinegar broth"),
          price=500, allergens="egg soy gluten", tags="vegetarian spicy",
          nut=(6.0, 4.0, 10.0, 980)),
    _soup("winter-melon-meatball-soup", ("冬瓜丸子汤", "Winter Melon & Meatball Soup"),
          ("手打猪肉丸配冬瓜", "Hand-made pork meatballs with winter melon"),
          price=600, allergens="egg soy gluten", tags="pork", nut=(10.0, 9.0, 6.0, 760)),
    _soup("borscht", ("罗宋汤", "Shanghai Borscht"),
          ("海派罗宋汤，牛肉番茄卷心菜", "Shanghai-style borscht with beef, tomato and cabbage"),
          price=600, allergens="gluten milk", tags="beef", nut=(9.0, 6.0, 12.0, 700)),
)
