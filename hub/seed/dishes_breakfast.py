"""Breakfast dishes (早点): buns, congee, pancakes from the steamer station."""

from __future__ import annotations

from typing import Any

from hub.seed.records import Dish, dish


def _b(code: str, names: tuple[str, str], descs: tuple[str, str], **kw: Any) -> Dish:
    kw.setdefault("periods", "B")
    return dish(code, names, descs, cat="breakfast", station="steamer", **kw)


BREAKFAST_DISHES: tuple[Dish, ...] = (
    _b("youtiao", ("油条", "Fried Dough Stick"),
         ("现炸油条，外酥里软，配豆浆最佳",
          "Freshly fried dough stick, crisp outside; best with soy milk"),
         price=200, allergens="gluten", tags="vegan", nut=(4.5, 11.0, 29.0, 320)),
    _b("xiaolongbao", ("小笼包", "Xiaolongbao Soup Dumplings"),
         ("鲜肉小笼包8只，皮薄汤多", "8 pork soup dumplings with thin skins and rich broth"),
         price=1000, member=900, allergens="gluten soy", tags="pork signature",
         nut=(18.0, 16.0, 40.0, 780), periods="BN"),
    _b("pidan-congee", ("皮蛋瘦肉粥", "Century Egg & Pork Congee"),
         ("慢火熬制白粥，配皮蛋和瘦肉丝", "Slow-cooked rice congee with century egg and lean pork"),
         price=500, allergens="egg", tags="pork", nut=(12.0, 6.0, 38.0, 690)),
    _b("tea-egg", ("茶叶蛋", "Tea Egg"),
         ("五香红茶卤蛋", "Egg simmered in black tea, soy sauce and five spice"),
         price=200, allergens="egg soy gluten", tags="vegetarian",
         nut=(6.5, 5.0, 1.0, 260), periods="BN"),
    _b("pork-bun", ("鲜肉大包", "Pork Bun"),
         ("发面大包，猪肉馅", "Large fluffy steamed bun filled with seasoned pork"),
         price=300, allergens="gluten soy", tags="pork", nut=(10.0, 9.0, 38.0, 450)),
    _b("veg-bun", ("香菇青菜包", "Mushroom & Greens Bun"),
         ("青菜香菇馅素包", "Steamed bun filled with bok choy and shiitake"),
         price=200, allergens="gluten soy", tags="vegan", nut=(6.0, 3.5, 36.0, 380)),
    _b("halal-beef-bun", ("牛肉大葱包", "Beef & Scallion Bun (Halal)"),
         ("清真窗口出品，牛肉大葱馅", "From the halal counter: beef and scallion filling"),
         price=350, allergens="gluten", tags="halal beef", nut=(11.0, 8.0, 37.0, 430)),
    _b("mantou", ("馒头", "Steamed Bun (Mantou)"),
         ("老面发酵白馒头", "Plain steamed wheat bun, sourdough-leavened"),
         price=200, allergens="gluten", tags="vegan", nut=(7.0, 1.0, 47.0, 170)),
    _b("jianbing", ("煎饼果子", "Jianbing Crepe"),
         ("绿豆面煎饼，鸡蛋、薄脆、甜面酱",
          "Mung-bean crepe with egg, crispy cracker and sweet bean sauce"),
         price=700, member=600, allergens="gluten egg soy sesame", tags="vegetarian",
         nut=(14.0, 17.0, 52.0, 820)),
    _b("egg-pancake", ("鸡蛋灌饼", "Egg-filled Pancake"),
         ("现烙饼皮灌入鸡蛋，配生菜", "Flaky pancake filled with egg and lettuce"),
         price=600, allergens="gluten egg soy", tags="vegetarian",
         nut=(12.0, 15.0, 45.0, 640)),
    _b("millet-porridge", ("小米粥", "Millet Porridge"),
         ("黄小米慢熬", "Slow-cooked golden millet porridge"),
         price=200, tags="vegan light", nut=(3.0, 1.0, 25.0, 10)),
    _b("glutinous-shaomai", ("糯米烧卖", "Sticky Rice Shaomai"),
         ("糯米、香菇、肉丁，4只", "4 open dumplings of sticky rice, shiitake and diced pork"),
         price=600, allergens="gluten soy", tags="pork", nut=(9.0, 10.0, 55.0, 620)),
    _b("chive-pocket", ("韭菜盒子", "Chive & Egg Pocket"),
         ("韭菜鸡蛋粉丝馅，煎至金黄", "Pan-fried pocket of chives, egg and glass noodles"),
         price=400, allergens="gluten egg", tags="vegetarian",
         nut=(8.0, 12.0, 33.0, 410)),
    _b("scallion-pancake", ("葱油饼", "Scallion Pancake"),
         ("千层葱油饼", "Layered flaky scallion pancake"),
         price=400, allergens="gluten", tags="vegan", nut=(5.0, 13.0, 40.0, 480)),
    _b("steamed-corn", ("蒸玉米", "Steamed Sweet Corn"),
         ("整根甜玉米", "A whole cob of sweet corn"),
         price=300, tags="vegan", nut=(4.0, 1.5, 27.0, 5), periods="BN"),
    _b("purple-sweet-potato", ("蒸紫薯", "Steamed Purple Sweet Potato"),
         ("粗粮紫薯，低脂饱腹", "Purple sweet potato: low fat, filling whole food"),
         price=200, tags="vegan", nut=(2.0, 0.3, 30.0, 40)),
)
