"""Cold dishes (凉菜), snacks (小吃), drinks (饮品) and the weighed buffet (称重自选)."""

from __future__ import annotations

from typing import Any

from hub.seed.records import Dish, dish


def _cold(code: str, names: tuple[str, str], descs: tuple[str, str], **kw: Any) -> Dish:
    return dish(code, names, descs, cat="cold", station="cold_drinks", **kw)


def _snack(code: str, names: tuple[str, str], descs: tuple[str, str], **kw: Any) -> Dish:
    kw.setdefault("periods", "N")
    kw.setdefault("station", "steamer")
    return dish(code, names, descs, cat="snack", **kw)


def _drink(code: str, names: tuple[str, str], descs: tuple[str, str], **kw: Any) -> Dish:
    kw.setdefault("periods", "BLDN")
    return dish(code, names, descs, cat="drink", station="cold_drinks", **kw)


def _buffet(code: str, names: tuple[str, str], descs: tuple[str, str], **kw: Any) -> Dish:
    kw.setdefault("station", "wok")
    return dish(code, names, descs, cat="buffet", per_100g=True, **kw)


COLD_DISHES: tuple[Dish, ...] = (
    _cold("smashed-cucumber", ("凉拌黄瓜", "Smashed Cucumber Salad"),
          ("拍黄瓜，蒜泥香醋麻油", "Smashed cucumber with garlic, black vinegar and sesame oil"),
          price=500, allergens="sesame soy gluten", tags="vegan", nut=(1.5, 5.0, 5.0, 420)),
    _cold("century-egg-tofu", ("皮蛋豆腐", "Century Egg with Silken Tofu"),
          ("内酯豆腐配皮蛋，淋酱汁", "Chilled silken tofu with century egg and soy dressing"),
          price=600, allergens="egg soy gluten", tags="vegetarian", nut=(12.0, 8.0, 4.0, 690)),
    _cold("fuqi-feipian", ("夫妻肺片", "Sichuan Beef & Tripe in Chilli Oil"),
          ("牛肉牛杂红油拌，花生芝麻",
           "Sliced beef and tripe in chilli oil with peanuts and sesame"),
          price=1600, member=1450, allergens="peanut sesame soy gluten", tags="spicy beef",
          nut=(22.0, 18.0, 6.0, 1100)),
    _cold("mouthwatering-chicken", ("口水鸡", "Mouth-watering Chicken"),
          ("白切鸡淋红油麻酱", "Poached chicken in chilli oil and sesame sauce"),
          price=1500, allergens="peanut sesame soy gluten", tags="spicy",
          nut=(26.0, 20.0, 5.0, 1050)),
    _cold("wood-ear-salad", ("凉拌木耳", "Wood Ear Mushroom Salad"),
          ("黑木耳、小米辣、香醋", "Wood ear mushrooms with bird's-eye chilli and vinegar"),
          price=500, allergens="soy gluten", tags="vegan spicy", nut=(2.0, 4.0, 8.0, 480)),
    _cold("liangpi", ("凉皮", "Liangpi Cold Noodles"),
          ("陕西面皮，辣油、黄瓜丝、面筋",
           "Shaanxi wheat-starch noodles, chilli oil, cucumber, gluten"),
          price=800, allergens="gluten soy sesame", tags="vegan spicy new",
          nut=(10.0, 10.0, 58.0, 1200), periods="LDN"),
    _cold("vinegar-peanuts", ("老醋花生", "Peanuts in Aged Vinegar"),
          ("油炸花生米拌老陈醋", "Crispy peanuts tossed in aged black vinegar"),
          price=500, allergens="peanut soy gluten", tags="vegan", nut=(12.0, 22.0, 12.0, 380),
          periods="LDN"),
)

SNACK_DISHES: tuple[Dish, ...] = (
    _snack("oden", ("关东煮", "Oden Skewers"),
           ("鱼丸、萝卜、海带、鸡蛋共6串", "6 skewers: fish balls, radish, kelp and egg in dashi"),
           station="noodles", price=800, allergens="fish gluten soy egg",
           nut=(14.0, 8.0, 18.0, 1300)),
    _snack("roast-sweet-potato", ("烤红薯", "Roasted Sweet Potato"),
           ("炭烤蜜薯", "Charcoal-roasted honey sweet potato"),
           price=400, tags="vegan", nut=(2.5, 0.3, 40.0, 60)),
    _snack("popcorn-chicken", ("盐酥鸡米花", "Popcorn Chicken"),
           ("台式盐酥鸡，椒盐九层塔", "Taiwanese salt-and-pepper fried chicken with basil"),
           station="wok", price=900, allergens="gluten egg soy", nut=(20.0, 22.0, 24.0, 900),
           periods="DN"),
    _snack("spring-rolls", ("素春卷", "Vegetable Spring Rolls"),
           ("香脆春卷4只，白菜粉丝馅", "4 crispy rolls with cabbage and glass noodles"),
           price=500, allergens="gluten soy", tags="vegan", nut=(5.0, 12.0, 30.0, 520),
           periods="BN"),
    _snack("shengjian", ("生煎包", "Pan-fried Pork Buns"),
           ("上海生煎4只，芝麻葱花", "4 Shanghai pan-fried buns topped with sesame and scallion"),
           price=800, allergens="gluten soy sesame", tags="pork", nut=(14.0, 16.0, 36.0, 700),
           periods="BN"),
    _snack("potstickers", ("锅贴", "Potstickers"),
           ("猪肉锅贴8只", "8 pan-fried pork dumplings"),
           price=900, allergens="gluten soy", tags="pork", nut=(16.0, 18.0, 40.0, 820),
           periods="LN"),
    _snack("grilled-sausage", ("台式烤肠", "Grilled Taiwanese Sausage"),
           ("甜口猪肉烤肠一根", "One sweet grilled pork sausage"),
           station="cold_drinks", price=300, allergens="soy", tags="pork",
           nut=(9.0, 16.0, 8.0, 680)),
    _snack("lamb-skewers", ("羊肉串", "Lamb Skewers (Halal)"),
           ("清真窗口，孜然羊肉串5串", "Halal counter: 5 cumin lamb skewers"),
           station="wok", price=1000, tags="halal spicy", nut=(20.0, 18.0, 3.0, 720)),
)

DRINK_DISHES: tuple[Dish, ...] = (
    _drink("soy-milk", ("现磨豆浆", "Fresh Soy Milk"),
           ("现磨黄豆浆，可选无糖", "Freshly ground soy milk, sugar-free on request"),
           price=200, allergens="soy", tags="vegan", nut=(7.0, 4.0, 10.0, 20), periods="BN"),
    _drink("milk", ("纯牛奶", "Milk"),
           ("250毫升纯牛奶", "250 ml whole milk"),
           price=300, allergens="milk", tags="vegetarian", nut=(8.0, 9.0, 12.0, 110),
           periods="BN"),
    _drink("sour-plum", ("酸梅汤", "Sour Plum Drink"),
           ("乌梅山楂桂花熬制，冰镇", "Chilled smoked plum, hawthorn and osmanthus drink"),
           price=300, tags="vegan", nut=(0.0, 0.0, 28.0, 10), periods="LDN"),
    _drink("mung-bean-soup", ("绿豆汤", "Mung Bean Soup"),
           ("清热消暑甜绿豆汤", "Lightly sweet mung bean soup, served cool"),
           price=200, tags="vegan dessert", nut=(4.0, 0.5, 24.0, 5), periods="LD"),
    _drink("lemon-tea", ("柠檬红茶", "Lemon Black Tea"),
           ("鲜柠檬冰红茶", "Iced black tea with fresh lemon"),
           price=500, tags="vegan", nut=(0.0, 0.0, 22.0, 10)),
    _drink("corn-juice", ("鲜榨玉米汁", "Fresh Corn Juice"),
           ("现榨甜玉米汁", "Freshly pressed sweet corn juice"),
           price=500, tags="vegan new", nut=(3.0, 1.0, 30.0, 10)),
    _drink("milk-tea", ("港式奶茶", "Hong Kong Milk Tea"),
           ("丝袜奶茶，淡奶调制", "Strong pulled tea with evaporated milk"),
           price=800, member=700, allergens="milk", tags="vegetarian",
           nut=(4.0, 6.0, 26.0, 80), periods="LDN"),
    _drink("tremella-soup", ("银耳莲子羹", "White Fungus & Lotus Seed Soup"),
           ("银耳、莲子、红枣炖煮", "Sweet soup of snow fungus, lotus seeds and jujube"),
           price=400, tags="vegan", nut=(1.5, 0.2, 30.0, 15), periods="BN"),
    _drink("orange-juice", ("鲜榨橙汁", "Fresh Orange Juice"),
           ("现榨脐橙汁300毫升", "300 ml freshly squeezed navel orange"),
           price=800, tags="vegan", nut=(2.0, 0.5, 30.0, 5)),
    _drink("cola", ("可口可乐", "Coca-Cola"),
           ("330毫升罐装", "330 ml can"),
           price=300, tags="vegan", nut=(0.0, 0.0, 35.0, 30)),
    _drink("mineral-water", ("矿泉水", "Mineral Water"),
           ("550毫升瓶装", "550 ml bottle"),
           price=200, tags="vegan", nut=(0.0, 0.0, 0.0, 5)),
)

# Weighed dishes: prices (list and member) and nutrition are per 100 g; the scale gives grams.
BUFFET_DISHES: tuple[Dish, ...] = (
    _buffet("buffet-meat", ("称重自选·荤菜", "Weighed Buffet: Meat Dishes"),
            ("自选荤菜，按100克计价", "Choose your own meat dishes, priced per 100 g"),
            price=380, member=350, allergens="soy gluten egg", tags="pork",
            nut=(14.0, 12.0, 6.0, 520), periods="L"),
    _buffet("buffet-veg", ("称重自选·素菜", "Weighed Buffet: Vegetable Dishes"),
            ("自选素菜，按100克计价", "Choose your own vegetable dishes, priced per 100 g"),
            price=200, member=180, allergens="soy gluten", tags="vegetarian",
            nut=(3.0, 6.0, 8.0, 380), periods="L"),
    _buffet("malatang", ("麻辣烫", "Malatang (weighed)"),
            ("自选菜品麻辣烫，按100克计价",
             "Pick your own ingredients into spicy broth, priced per 100 g"),
            station="noodles", price=300, allergens="soy gluten peanut sesame fish",
            tags="spicy pork signature", nut=(5.0, 5.0, 9.0, 620), periods="LDN"),
    _buffet("fruit-cup", ("水果自选", "Fruit Bar (weighed)"),
            ("当季鲜切水果，按100克计价", "Seasonal cut fruit, priced per 100 g"),
            station="cold_drinks", price=150, tags="vegan", nut=(0.6, 0.2, 12.0, 2),
            periods="BLDN"),
)
