"""A deterministic synthetic canteen: the data set tests and benchmarks train and evaluate on.

What it models, because real canteens do it: members with latent tastes (dishes carry latent
vectors derived from their category and tags, so content predicts taste), dietary constraints
(vegetarian, halal, no spice, a peanut allergy), meal-period attendance and weekday habits
(noodles on Fridays), two to four favourites per meal period that they re-order, favourites
that change for some members part-way through, a weekly menu rotation (core dishes daily,
the rest on fixed weekdays), quieter weekends, and new dishes introduced during the period.
Same ``seed`` and shape, same canteen, byte for byte.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from models.recommend.data import EPOCH, OrderLog

# category -> (meal periods served, station, base price in fen, role in an order)
CATEGORIES: dict[str, tuple[tuple[int, ...], str, int, str]] = {
    "breakfast": ((0,), "breakfast", 400, "main"),
    "meat": ((1, 2), "wok", 1600, "main"),
    "noodle": ((1, 2), "noodle", 1400, "main"),
    "rice_bowl": ((1, 2), "grill", 1500, "main"),
    "veg": ((1, 2), "wok", 900, "side"),
    "soup": ((1, 2), "soup", 600, "side"),
    "staple": ((0, 1, 2), "staple", 200, "side"),
    "drink": ((0, 1, 2), "drinks", 500, "drink"),
}
CATEGORY_SHARE = (0.12, 0.22, 0.12, 0.1, 0.18, 0.08, 0.06, 0.12)
TAGS = ("spicy", "vegetarian", "halal", "pork", "beef", "light", "signature", "new")
PERIOD_WINDOWS = ((7 * 60, 9 * 60 + 30), (11 * 60 + 15, 13 * 60 + 30), (17 * 60 + 15, 19 * 60 + 30))
LATENT = 8
NAMES_ZH = ("宫保鸡丁", "麻婆豆腐", "红烧肉", "番茄炒蛋", "鱼香肉丝", "回锅肉", "清炒时蔬",
            "酸辣汤", "牛肉面", "炸酱面", "小笼包", "豆浆", "白粥", "米饭", "馒头", "可乐")


@dataclass(frozen=True)
class SynthDish:
    """A dish of the synthetic canteen with the content features the cold start uses."""

    id: str
    name_zh: str
    name_en: str
    category: str
    station: str
    tags: tuple[str, ...]
    allergens: tuple[str, ...]
    price_cents: int
    periods: tuple[int, ...]
    introduced_day: int  # index of the first day it is served (0 for the opening menu)


@dataclass(frozen=True)
class Canteen:
    """Dishes, members' preference tags, the order log and each day's menu."""

    dishes: tuple[SynthDish, ...]
    member_prefs: tuple[tuple[str, ...], ...]
    log: OrderLog
    start: date
    served: np.ndarray  # bool (days, dishes)

    def menus(self) -> dict[int, set[str]]:
        """Day number -> dish ids served that day (any meal period)."""
        first = (self.start - EPOCH).days
        return {first + day: {self.dishes[d].id for d in np.flatnonzero(row)}
                for day, row in enumerate(self.served)}

    def write_csv(self, folder: Path) -> tuple[Path, Path]:
        """``orders.csv`` and ``menus.csv`` in the evaluate command's format."""
        folder.mkdir(parents=True, exist_ok=True)
        orders, menus = folder / "orders.csv", folder / "menus.csv"
        log = self.log
        with orders.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["member_id", "ordered_at", "dish_id"])
            base = datetime(1970, 1, 1)
            for o in range(log.n_orders):
                at = (base + timedelta(minutes=round(log.time[o] * 1440))).isoformat()
                for d in log.dish[log.indptr[o]:log.indptr[o + 1]]:
                    w.writerow([log.member_ids[log.member[o]], at, log.dish_ids[d]])
        with menus.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["date", "dish_id"])
            for day, row in enumerate(self.served):
                for d in np.flatnonzero(row):
                    w.writerow([(self.start + timedelta(days=day)).isoformat(), self.dishes[d].id])
        return orders, menus


def _dishes(rng: np.random.Generator, n: int, days: int, new_share: float) -> list[SynthDish]:
    cats = list(CATEGORIES)
    out = []
    for i in range(n):
        cat = cats[int(rng.choice(len(cats), p=np.asarray(CATEGORY_SHARE) / sum(CATEGORY_SHARE)))]
        periods, station, base, _role = CATEGORIES[cat]
        tags: list[str] = []
        if cat in ("meat", "noodle", "rice_bowl", "veg") and rng.random() < 0.35:
            tags.append("spicy")
        if cat in ("veg", "breakfast", "staple", "drink", "soup") or rng.random() < 0.1:
            tags.append("vegetarian")
        elif rng.random() < 0.5:
            tags.append("pork" if rng.random() < 0.6 else "beef")
        if "pork" not in tags and rng.random() < 0.3:
            tags.append("halal")
        if rng.random() < 0.2:
            tags.append("light")
        if rng.random() < 0.08:
            tags.append("signature")
        allergens = ("peanut",) if rng.random() < 0.1 else ()
        new = i >= n * (1 - new_share)
        if new:
            tags.append("new")
        price = int(base * (0.6 + 0.8 * rng.random())) // 10 * 10 + 10
        zh = NAMES_ZH[i % len(NAMES_ZH)] + ("" if i < len(NAMES_ZH) else f"{i // len(NAMES_ZH)}")
        out.append(SynthDish(
            id=f"d{i:04d}", name_zh=zh, name_en=f"Dish {i}", category=cat, station=station,
            tags=tuple(tags), allergens=allergens, price_cents=price, periods=periods,
            introduced_day=int(rng.integers(days // 3, days - 3)) if new else 0))
    return out


def generate(
    seed: int = 7, *, members: int = 600, days: int = 56, dishes: int = 240,
    new_share: float = 0.1, start: date = date(2026, 3, 2),
) -> Canteen:
    """Generate a canteen: ``members`` diners, ``days`` days from ``start``, ``dishes`` dishes."""
    rng = np.random.default_rng(seed)
    dl = _dishes(rng, dishes, days, new_share)
    n, m = len(dl), members
    cats = list(CATEGORIES)
    cat_of = np.array([cats.index(d.category) for d in dl])
    tag_of = np.array([[t in d.tags for t in TAGS] for d in dl], float)
    # content predicts taste: a dish's latent vector is its category's and tags' plus noise
    cat_vec = rng.normal(0, 1, (len(cats), LATENT))
    tag_vec = rng.normal(0, 0.7, (len(TAGS), LATENT))
    v = cat_vec[cat_of] + tag_of @ tag_vec + rng.normal(0, 0.8, (n, LATENT))
    quality = rng.normal(0, 0.6, n)
    u = rng.normal(0, 1, (m, LATENT)) / np.sqrt(LATENT)
    affinity = (u @ v.T) * 1.6 + quality

    # dietary constraints -> allowed (m, n); stated preferences for the cold start
    veg, halal = rng.random(m) < 0.07, rng.random(m) < 0.05
    nospice, peanut = rng.random(m) < 0.12, rng.random(m) < 0.04
    allowed = np.ones((m, n), bool)
    allowed[veg] &= tag_of[:, TAGS.index("vegetarian")] > 0
    allowed[halal] &= (tag_of[:, TAGS.index("halal")] + tag_of[:, TAGS.index("vegetarian")]) > 0
    allowed[nospice] &= tag_of[:, TAGS.index("spicy")] == 0
    allowed[peanut] &= np.array([not d.allergens for d in dl])
    prefs = tuple(tuple(t for t, f in (("vegetarian", veg[i]), ("halal", halal[i]),
                                       ("light", nospice[i])) if f) for i in range(m))

    # weekly rotation: core dishes daily, others on 1-3 fixed weekdays; new dishes from a day on
    weekdays = np.zeros((n, 7), bool)
    for d in range(n):
        if rng.random() < 0.35:
            weekdays[d, :] = True
        else:
            weekdays[d, rng.choice(5, size=int(rng.integers(1, 4)), replace=False)] = True
            weekdays[d, 5:] = rng.random() < 0.3
    intro = np.array([d.introduced_day for d in dl])
    first_wd = start.weekday()
    served = np.array([weekdays[:, (first_wd + day) % 7] & (intro <= day) for day in range(days)])
    period_ok = np.array([[p in d.periods for d in dl] for p in range(3)])
    role = np.array([CATEGORIES[d.category][3] for d in dl])

    # habits: attendance per period, a weekday category craving, favourites, a change of mind
    attend = np.stack([rng.beta(1.2, 2.5, m), rng.beta(6, 1.5, m), rng.beta(1.2, 3, m)], 1)
    crave_wd, crave_cat = rng.integers(0, 5, m), rng.integers(0, len(cats), m)
    has_crave = rng.random(m) < 0.5
    repeat = rng.uniform(0.2, 0.7, m)
    switch_day = np.where(rng.random(m) < 0.2, rng.integers(days // 3, days, m), days + 1)

    def favourites(noise: float) -> np.ndarray:
        out = np.full((3, m, 3), -1)
        for p in range(3):
            mains = period_ok[p] & (role == "main")
            s = np.where(allowed & mains, affinity + rng.gumbel(0, noise, (m, n)), -np.inf)
            out[p] = np.argsort(-s, axis=1)[:, :3]
        return out

    fav_a, fav_b = favourites(1.0), favourites(1.0)
    mem_rows, time_rows, dish_rows, order_rows = [], [], [], []
    first = (start - EPOCH).days
    n_orders = 0
    for day in range(days):
        wd = (first_wd + day) % 7
        scale = 1.0 if wd < 5 else 0.3
        for p in range(3):
            avail = served[day] & period_ok[p]
            who = np.flatnonzero(rng.random(m) < attend[:, p] * scale)
            if who.size == 0:
                continue
            ok = allowed[who] & avail
            logit = affinity[who].copy()
            boost = has_crave[who] & (crave_wd[who] == wd)
            logit[boost] += 1.5 * (cat_of[None, :] == crave_cat[who][boost, None])
            logit += np.where((intro > 0) & (day - intro < 14), 0.8, 0.0)  # novelty
            fav = np.where((day >= switch_day[who])[:, None], fav_b[p][who], fav_a[p][who])
            fav_ok = ok[np.arange(who.size)[:, None], fav]
            pick_fav = fav[np.arange(who.size), np.argmax(fav_ok + rng.random(fav.shape), 1)]
            use_fav = fav_ok.any(1) & (rng.random(who.size) < repeat[who])
            chosen = []
            for r, prob in (("main", 1.0), ("side", 0.5), ("drink", 0.25)):
                s = np.where(ok & (role == r), logit + rng.gumbel(0, 1, logit.shape), -np.inf)
                pick = np.argmax(s, 1)
                take = np.isfinite(s[np.arange(who.size), pick]) & (rng.random(who.size) < prob)
                if r == "main":
                    pick = np.where(use_fav, pick_fav, pick)
                    take |= use_fav
                chosen.append((pick, take))
            lo, hi = PERIOD_WINDOWS[p]
            minute = rng.integers(lo, hi, who.size)
            has_any = np.zeros(who.size, bool)
            for _pick, take in chosen:
                has_any |= take
            for pick, take in chosen:
                sel = take & has_any
                mem_rows.append(who[sel])
                time_rows.append(first + day + minute[sel] / 1440)
                dish_rows.append(pick[sel])
                order_rows.append(n_orders + np.flatnonzero(sel))
            n_orders += who.size
    return Canteen(tuple(dl), prefs, _log(mem_rows, time_rows, dish_rows, order_rows, m, dl),
                   start, served)


def _log(mem_rows: list[np.ndarray], time_rows: list[np.ndarray], dish_rows: list[np.ndarray],
         order_rows: list[np.ndarray], m: int, dl: list[SynthDish]) -> OrderLog:
    member, time = np.concatenate(mem_rows), np.concatenate(time_rows)
    dish, order = np.concatenate(dish_rows), np.concatenate(order_rows)
    pairs = np.unique(np.stack([order, dish], 1), axis=0)  # one row per dish and order
    order, dish = pairs[:, 0], pairs[:, 1]
    first_row = np.unique(np.concatenate(order_rows), return_index=True)
    o_member = np.concatenate(mem_rows)[first_row[1]]
    o_time = np.concatenate(time_rows)[first_row[1]]
    keep = np.lexsort((o_time, o_member))
    ids = first_row[0][keep]
    rank = np.empty(int(ids.max()) + 1, np.int64)
    rank[ids] = np.arange(ids.size)
    row_order = rank[order]
    sort = np.lexsort((dish, row_order))
    lengths = np.bincount(row_order, minlength=ids.size)
    del member, time
    t = o_time[keep]
    days_i = np.floor(t).astype(np.int64)
    minutes = np.round((t - days_i) * 1440)
    weekday = ((days_i + 3) % 7).astype(np.int8)  # 1970-01-01 was a Thursday
    hour = minutes // 60
    period = np.select([(hour >= 4) & (hour < 10), (hour >= 10) & (hour < 15),
                        (hour >= 15) & (hour < 21)], [0, 1, 2], 3).astype(np.int8)
    return OrderLog(tuple(f"m{i:05d}" for i in range(m)), tuple(d.id for d in dl),
                    o_member[keep].astype(np.int32), t, period, weekday,
                    np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                    dish[sort].astype(np.int32))
