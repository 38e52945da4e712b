"""A scripted diner at a headless kiosk: ``python -m demo.diner --config kiosk.toml``.

It drives the kiosk app's own UI-free controllers (``JourneyController``) exactly as the
screens do: touch to start, tap a member card (or order as a guest), open dishes, choose
required options, check out (the order and its outbox row in one transaction, the receipt
to the configured printer), sometimes rate the meal. The device's edge agent, a separate
process, carries the orders to the hub.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from demo.processes import stop_on_signals
from kiosk.config import ConfigError, load_config
from kiosk.controllers.journey import JourneyController, Step
from kiosk.services.bootstrap import Runtime, build_services
from kiosk.services.catalog import CatalogService

log = logging.getLogger("demo.diner")


class ServingClock:
    """The real clock, shifted (once, when needed) into the site's next meal period.

    Outside the serving windows a real kiosk shows "closed"; a demo started at 3 pm should
    still sell, so the kiosk's clock is moved to a few minutes into the next open period.
    """

    def __init__(self) -> None:
        """No shift until ``align`` finds one is needed."""
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """The shifted instant, UTC."""
        return datetime.now(UTC) + self.offset

    def align(self, catalog: CatalogService) -> None:
        """Shift into a meal period when none is being served at the current shifted time."""
        now = self.now()
        if catalog.meal_period(now) is not None:
            return
        for minutes in range(5, 24 * 60, 5):
            later = now + timedelta(minutes=minutes)
            if catalog.meal_period(later) is not None:
                self.offset += timedelta(minutes=minutes + 10)
                log.info("no meal period now: kiosk clock moved %s ahead", self.offset)
                return


class Diner:
    """One diner after another, at about ``rate`` orders per second."""

    def __init__(self, journey: JourneyController, clock: ServingClock, *, cards: list[str],
                 rng: random.Random) -> None:
        """Drive ``journey``; members tap one of ``cards``."""
        self.j = journey
        self.clock = clock
        self.cards = cards
        self.rng = rng
        self.orders = 0
        self.cents = 0
        self.ranked_by: str | None = None

    def identify(self) -> bool:
        """Tap a card (most diners) or order as a guest; False when the canteen is closed."""
        self.j.start()
        if self.cards and self.rng.random() < 0.7:
            card = self.rng.choice(self.cards)
            if self.j.identify("card", card):
                return True
            log.info("card %s refused (%s): ordering as a guest", card,
                     self.j.state.message.en if self.j.state.message else "?")
            self.j.dismiss_message()
        return self.j.identify("guest")

    def pick_dishes(self) -> int:
        """Open 1-3 dishes of the menu, choose their required options, add them."""
        cards = [d for c in self.j.menu.state.categories for d in c.dishes
                 if not d.sold_out and not d.per_100g]
        added = 0
        for dish in self.rng.sample(cards, k=min(len(cards), self.rng.randint(1, 3))):
            if not self.j.open_dish(dish.dish_id):
                self.j.dismiss_message()
                continue
            for group in self.j.detail.state.options:
                if group.required and group.selected is None and group.choices:
                    self.j.detail.choose(group.code, self.rng.choice(group.choices)[0])
            if self.rng.random() < 0.2:
                self.j.detail.set_qty(2)
            if self.j.add_dish():
                added += 1
            else:
                self.j.dismiss_message()
                self.j.back_to_menu()
        return added

    def _note_recommender(self) -> None:
        """Log when the menu's recommended row changes source (a model switched in)."""
        version = getattr(self.j.s.recommender, "model_version", None)
        ranked_by = f"model v{version}" if version is not None else "popularity (no model)"
        if ranked_by != self.ranked_by:
            self.ranked_by = ranked_by
            log.info("recommended row ranked by %s", ranked_by)

    def one_order(self) -> bool:
        """A whole visit; True when an order was placed."""
        if not self.identify():
            self.j.finish()
            self.clock.align(self.j.s.catalog)
            return False
        self._note_recommender()
        if not self.pick_dishes():
            self.j.finish()
            return False
        self.j.open_cart()
        if not self.j.checkout() or self.j.last_checkout is None:
            log.info("checkout refused: %s", self.j.state.message.en if self.j.state.message
                     else "?")
            self.j.finish()
            return False
        rec = self.j.last_checkout.placed.recorded
        self.orders += 1
        self.cents += rec.total_cents
        who = f"member {self.j.state.member.name}" if self.j.state.member else "guest"
        printed = self.j.last_checkout.printed
        log.info("order %s placed: %d lines, total %d fen, %s, receipt %s", rec.order_no,
                 len(rec.payload.lines), rec.total_cents, who,
                 "printed" if printed is not None and printed.printed else "not printed")
        if self.rng.random() < 0.4:
            self.j.give_feedback()
            self.j.done.rate(self.rng.choice((3, 4, 5, 5)))
            self.j.submit_feedback()
        else:
            self.j.finish()
        return True


def run(runtime: Runtime, journey: JourneyController, clock: ServingClock, diner: Diner, *,
        rate: float, stop: threading.Event) -> None:
    """Wait for the catalog, then place orders at about ``rate`` per second until stopped."""
    catalog = runtime.services.catalog
    while not stop.is_set() and catalog.snapshot is None:
        log.info("waiting for the catalog from the hub (via the edge agent)")
        time.sleep(1.0)
    clock.align(catalog)
    next_at = time.monotonic()
    while not stop.is_set():
        journey.tick()
        if journey.state.step is not Step.IDLE:
            journey.finish()
        diner.one_order()
        next_at += diner.rng.expovariate(rate) if rate > 0 else 1.0
        while not stop.is_set() and time.monotonic() < next_at:
            time.sleep(min(0.2, max(0.0, next_at - time.monotonic())))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; prints this run's totals as JSON on stop."""
    p = argparse.ArgumentParser(prog="demo.diner", description=__doc__)
    p.add_argument("--config", type=Path, required=True, help="the kiosk's TOML config")
    p.add_argument("--rate", type=float, default=0.25, help="orders per second (average)")
    p.add_argument("--cards", type=Path, help="JSON list of member card numbers to tap")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s",
                        force=True)
    logging.getLogger("kiosk").setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"demo.diner: {err} {err.problems}", file=sys.stderr)
        return 2
    cards = json.loads(args.cards.read_text()) if args.cards and args.cards.exists() else []
    stop = stop_on_signals()
    clock = ServingClock()
    runtime = build_services(config, clock=clock)
    journey = JourneyController(runtime.services)
    diner = Diner(journey, clock, cards=cards, rng=random.Random(args.seed))
    runtime.start()
    try:
        run(runtime, journey, clock, diner, rate=args.rate, stop=stop)
    finally:
        runtime.stop()
    print(json.dumps({"device": config.device_id, "orders": diner.orders, "cents": diner.cents}),
          flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
