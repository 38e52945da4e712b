"""A simulated kiosk: records realistic orders through DeviceStore.record_order, like the app."""

from __future__ import annotations

import argparse
import json
import logging
import random
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.errors import EdgeError
from edge_agent.store import DeviceStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimDish:
    """A dish the simulator may put on an order when no catalog has arrived yet."""

    dish_id: str
    name_zh: str
    name_en: str
    price_cents: int
    station: str


FALLBACK_DISHES = (
    SimDish("d-kungpao", "宫保鸡丁", "Kung Pao chicken", 1800, "wok"),
    SimDish("d-tomato-egg", "番茄炒蛋", "Tomato and egg", 900, "wok"),
    SimDish("d-rice", "米饭", "Steamed rice", 100, "staple"),
    SimDish("d-noodles", "牛肉面", "Beef noodle soup", 1600, "noodle"),
    SimDish("d-greens", "清炒时蔬", "Stir-fried greens", 700, "wok"),
    SimDish("d-soup", "紫菜蛋花汤", "Seaweed egg soup", 300, "soup"),
)


def dishes_from_store(store: DeviceStore) -> Sequence[SimDish]:
    """Dishes of the store's catalog (not sold out), or the fallback list."""
    catalog = store.catalog()
    if catalog is None:
        return FALLBACK_DISHES
    found = [
        SimDish(d.id, d.name_zh, d.name_en, d.price_cents, d.station)
        for d in catalog.dishes
        if not d.sold_out
    ]
    return found or FALLBACK_DISHES


def make_draft(rng: random.Random, dishes: Sequence[SimDish]) -> dict[str, Any]:
    """A consistent order draft: 1-4 lines, paid by one or two methods, or at the counter."""
    lines: list[dict[str, Any]] = []
    for dish in rng.sample(list(dishes), k=min(len(dishes), rng.randint(1, 4))):
        qty = rng.choice((1, 1, 1, 2))
        lines.append({
            "dish_id": dish.dish_id, "name_zh": dish.name_zh, "name_en": dish.name_en,
            "qty": qty, "unit_price_cents": dish.price_cents,
            "line_total_cents": qty * dish.price_cents, "station": dish.station,
        })
    total = sum(int(line["line_total_cents"]) for line in lines)
    roll = rng.random()
    member = f"m{rng.randint(1, 500):05d}" if roll < 0.8 else None
    if member is None:
        payments = [{"method": "counter", "amount_cents": total}]
    else:
        subsidy = min(total, rng.choice((0, 500, 1000)))
        payments = [{"method": "subsidy", "amount_cents": subsidy}] if subsidy else []
        if total - subsidy:
            payments.append({"method": "stored_value", "amount_cents": total - subsidy})
    return {
        "meal_period": "lunch", "member_id": member, "lines": lines,
        "subtotal_cents": total, "total_cents": total, "payments": payments,
        "paid": member is not None,
    }


@dataclass
class SimTotals:
    """What this simulated kiosk recorded in this run."""

    orders: int = 0
    cents: int = 0


def run(store: DeviceStore, *, count: int, rate: float, seed: int, stop: list[bool]) -> SimTotals:
    """Record count orders (0: until stopped) at about rate per second."""
    rng = random.Random(seed)
    dishes = dishes_from_store(store)
    totals = SimTotals()
    interval = 1.0 / rate if rate > 0 else 0.0
    next_at = time.monotonic()
    while not stop[0] and (count == 0 or totals.orders < count):
        recorded = store.record_order(make_draft(rng, dishes))
        totals.orders += 1
        totals.cents += recorded.total_cents
        if interval:
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: record orders, then print this run's and the store's totals as JSON."""
    p = argparse.ArgumentParser(prog="canteen-simkiosk", description=__doc__)
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--site", required=True)
    p.add_argument("--device", required=True)
    p.add_argument("--count", type=int, default=100, help="orders to record (0: until SIGTERM)")
    p.add_argument("--rate", type=float, default=5.0, help="orders per second (0: flat out)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timezone", default="Asia/Shanghai")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = [False]

    def _stop(*_: object) -> None:
        stop[0] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        with DeviceStore(args.store, site_id=args.site, device_id=args.device,
                         timezone=args.timezone) as store:
            totals = run(store, count=args.count, rate=args.rate, seed=args.seed, stop=stop)
            orders, cents = store.order_totals()
    except EdgeError as err:
        print(f"simkiosk: {err}", file=sys.stderr)
        return 1
    print(json.dumps({"run_orders": totals.orders, "run_cents": totals.cents,
                      "store_orders": orders, "store_cents": cents}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
