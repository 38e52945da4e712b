"""Start a kitchen screen (KDS or pickup) from its config: stores, link, KioskApp mode."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edge_agent.errors import EdgeError
from edge_agent.kitchen.config import KitchenConfig, load_kitchen_config
from edge_agent.kitchen.link import KitchenLink

log = logging.getLogger(__name__)


@dataclass
class KitchenServices:
    """What a kitchen mode needs: its config; the link is filled in by the mode factory."""

    config: KitchenConfig
    links: list[KitchenLink] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the broker links (the broker keeps the sessions)."""
        for link in self.links:
            link.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kiosk.kds --config kds.toml`` (or ``kiosk.pickup``): run until closed."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--windowed", action="store_true")
    p.add_argument("--validate-config", action="store_true")
    args = p.parse_args(argv)
    try:
        config = load_kitchen_config(args.config)
    except EdgeError as err:
        print(f"kitchen: {err}", file=sys.stderr)
        return 2
    if args.validate_config:
        print(f"{args.config}: valid ({config.mode} {config.device_id})")
        return 0
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.app import KioskApp, configure_window

    configure_window(args.windowed, (1280, 800))
    services = KitchenServices(config)
    app = KioskApp(services, None, mode=config.mode)
    app.lang = "zh_Hans" if config.language == "zh" else "en"
    try:
        app.run()
    finally:
        services.stop()
    return 0
