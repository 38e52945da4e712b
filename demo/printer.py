"""The receipt printer of the demo's first kiosk: ``python -m demo.printer --path PTY``.

A ``hardware.sim.printer`` simulator on a pseudo-terminal: it parses the ESC/POS bytes the
kiosk sends; each cut receipt's first lines are logged (the demo log shows them).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

from demo.processes import stop_on_signals
from hardware.sim.printer import PrinterSimulator

log = logging.getLogger("demo.printer")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until SIGTERM/SIGINT, logging every receipt."""
    p = argparse.ArgumentParser(prog="demo.printer", description=__doc__)
    p.add_argument("--path", type=Path, required=True, help="stable symlink for the pty")
    p.add_argument("--lines", type=int, default=6, help="receipt lines to log")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s",
                        force=True)
    done = stop_on_signals()
    sim = PrinterSimulator(args.path)
    sim.start()
    log.info("printer simulator ready on %s", sim.path)
    shown = 0
    try:
        while not done.wait(0.3):
            while shown < len(sim.documents):
                doc = sim.documents[shown]
                shown += 1
                text = [ln.strip() for ln in doc.lines if ln.strip().strip("-=")]
                first = " | ".join(text[: args.lines])
                log.info("receipt %d: %s%s", shown, first,
                         f" [QR {doc.qr_payloads[0]}]" if doc.qr_payloads else "")
    finally:
        sim.stop()
    log.info("stopped after %d receipts", shown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
