"""A kitchen display with a scripted cook: ``python -m demo.cook --config kds.toml``.

The same kitchen link and store as ``edge_agent.kitchen.headless`` (tickets from the site
broker, committed then acknowledged); a cook bumps each open ticket after a short random
delay, which writes its ``ready`` event to the outbox for the device's edge agent.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from demo.processes import stop_on_signals
from edge_agent.errors import EdgeError
from edge_agent.kitchen.config import KitchenConfig, load_kitchen_config
from edge_agent.kitchen.headless import make_store
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.kitchen.link import KitchenLink

log = logging.getLogger("demo.cook")


def cook(cfg: KitchenConfig, done: threading.Event, *, min_s: float, max_s: float,
         rng: random.Random) -> int:
    """Bump tickets once they have been open a random while; the number bumped."""
    store = KdsStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id,
                     stations=cfg.stations)
    due: dict[tuple[str, str], float] = {}
    bumped = 0
    try:
        while not done.wait(0.5):
            now = datetime.now(UTC).timestamp()
            for t in store.open_tickets():
                at = due.setdefault(t.key, now + rng.uniform(min_s, max_s))
                if at <= now and store.bump(t.order_id, t.station):
                    bumped += 1
                    due.pop(t.key, None)
                    log.info("bumped %s %s (%d items)", t.order_no, t.station, len(t.items))
    finally:
        store.close()
    return bumped


def main(argv: Sequence[str] | None = None) -> int:
    """Start the link and the cook; stop both on SIGTERM/SIGINT."""
    p = argparse.ArgumentParser(prog="demo.cook", description=__doc__)
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--min-s", type=float, default=3.0, help="shortest time to cook a ticket")
    p.add_argument("--max-s", type=float, default=12.0, help="longest time to cook a ticket")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s",
                        force=True)
    try:
        cfg = load_kitchen_config(args.config)
    except EdgeError as err:
        print(f"demo.cook: {err}", file=sys.stderr)
        return 2
    done = stop_on_signals()
    link = KitchenLink(cfg, lambda: make_store(cfg))
    link.start()
    try:
        n = cook(cfg, done, min_s=args.min_s, max_s=args.max_s, rng=random.Random(args.seed))
    finally:
        link.stop()
    log.info("stopped after %d bumps", n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
