"""``canteen-agent``: run the edge agent of one device, or only validate its config."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from edge_agent.agent import Agent
from edge_agent.config import load_config
from edge_agent.errors import EdgeError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit 0 on clean stop or valid config, 2 on a config error.

    ``canteen-agent claim ...`` claims this device with a one-time code (edge_agent/claim.py).
    """
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["claim"]:
        from edge_agent.claim import main as claim_main

        return claim_main(args_in[1:])
    p = argparse.ArgumentParser(prog="canteen-agent", description=__doc__,
                                epilog="canteen-agent claim --help: claim a new device")
    p.add_argument("--config", type=Path, required=True, help="agent TOML file")
    p.add_argument("--validate-config", action="store_true",
                   help="check the file, report each error with its key path, and exit")
    args = p.parse_args(args_in)
    try:
        config = load_config(args.config)
    except EdgeError as err:
        print(f"canteen-agent: {err}", file=sys.stderr)
        return 2
    if args.validate_config:
        print(f"{args.config}: valid (device {config.device_id} on site {config.site_id})")
        return 0
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    agent = Agent(config)

    def _stop(signum: int, _frame: object) -> None:
        logging.getLogger(__name__).info("signal %d: stopping", signum)
        agent.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        agent.run()
    except EdgeError as err:
        print(f"canteen-agent: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
