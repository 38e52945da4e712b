"""``canteen-kiosk``: validate the config, wire services and controllers, open the Kivy window."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.config import ConfigError, load_config

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    p = argparse.ArgumentParser(prog="canteen-kiosk", description=__doc__)
    p.add_argument("--config", type=Path, required=True, help="kiosk TOML config file")
    p.add_argument("--mode", choices=["diner", "kds", "pickup", "desk"], default=None,
                   help="override the config's mode (desk: face enrolment at the member desk)")
    p.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    p.add_argument("--validate-config", action="store_true",
                   help="check the config, print each problem with its key path, and exit")
    p.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"canteen-kiosk: {err}", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    if args.validate_config:
        print(f"{args.config}: OK ({config.mode} kiosk {config.device_id} at {config.site_id})")
        return 0
    mode = args.mode or config.mode
    from kiosk.controllers.journey import JourneyController
    from kiosk.services.bootstrap import build_services

    runtime = build_services(config)
    if mode == "desk":
        from kiosk.controllers.desk import DeskJourney

        controllers: JourneyController = DeskJourney(runtime.services)
    else:
        controllers = JourneyController(runtime.services)
    runtime.events.listeners.append(lambda e: log.debug("device event %s", e.kind))
    runtime.start()
    try:
        from kiosk.app import run_app  # lazily: the controllers never import Kivy

        _schedule_systemd_pings()
        run_app(runtime, controllers, mode=mode, windowed=args.windowed)
    finally:
        runtime.stop()
    return 0


def _schedule_systemd_pings() -> None:
    """Under systemd (Type=notify, WatchdogSec; systemd/canteen-kiosk@.service): READY once
    the UI loop runs, then watchdog pings from that loop, so a frozen screen is restarted."""
    from kivy.clock import Clock

    from edge_agent.sdnotify import notify, watchdog_interval_s

    Clock.schedule_once(lambda _dt: notify("READY=1"), 0)
    interval = watchdog_interval_s()
    if interval is not None:
        Clock.schedule_interval(lambda _dt: notify("WATCHDOG=1"), interval)


if __name__ == "__main__":
    raise SystemExit(main())
