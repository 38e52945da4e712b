"""Run a kitchen link with its store and no screen: ``python -m edge_agent.kitchen.headless``.

The same link and store a KDS or pickup window runs, without Kivy: for a
kitchen printer or a back-office PC, and for fault tests and benchmarks that
kill the process. Runs until SIGTERM/SIGINT (or is killed).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from edge_agent.errors import EdgeError
from edge_agent.kitchen.board_store import BoardStore
from edge_agent.kitchen.config import KitchenConfig, load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.kitchen.link import Handler, KitchenLink

log = logging.getLogger(__name__)


def make_store(cfg: KitchenConfig) -> Handler:
    """The store this config's mode uses (KdsStore or BoardStore)."""
    if cfg.mode == "kds":
        return KdsStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id,
                        stations=cfg.stations)
    return BoardStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the link, wait for a signal, stop it (the broker keeps the session)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", type=Path, required=True)
    args = p.parse_args(argv)
    try:
        cfg = load_kitchen_config(args.config)
    except EdgeError as err:
        print(f"kitchen: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    done = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    link = KitchenLink(cfg, lambda: make_store(cfg))
    try:
        link.start()  # reads the broker password file
    except EdgeError as err:
        print(f"kitchen: {err}", file=sys.stderr)
        return 2
    done.wait()
    link.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
