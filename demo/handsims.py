"""Card reader and scale simulators for the demo's kiosk window: ``python -m demo.handsims``.

Both sit on pseudo-terminals the window kiosk opens. There is no keyboard to type into
(the demo owns the terminal), so taps and weights come from a FIFO:
``echo card C0DE000001 > FIFO`` taps a card, ``echo grams 350 > FIFO`` puts a plate on.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import select
from collections.abc import Sequence
from pathlib import Path

from demo.processes import stop_on_signals
from hardware.sim.card import CardReaderSimulator
from hardware.sim.scale import ScaleSimulator

log = logging.getLogger("demo.handsims")


def handle(line: str, card: CardReaderSimulator, scale: ScaleSimulator) -> None:
    """Apply one command line: ``card <id>`` or ``grams <n>``."""
    word, _, arg = line.strip().partition(" ")
    try:
        if word == "card" and arg:
            card.tap(arg.strip())
            log.info("tapped card %s", arg.strip())
        elif word == "grams" and arg:
            scale.place(float(arg))
            log.info("scale shows %s g", arg.strip())
        elif word:
            log.warning("unknown command %r (card <id> | grams <n>)", line.strip())
    except ValueError as err:
        log.warning("refused %r: %s", line.strip(), err)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both simulators and read commands from the FIFO until SIGTERM/SIGINT."""
    p = argparse.ArgumentParser(prog="demo.handsims", description=__doc__)
    p.add_argument("--card", type=Path, required=True, help="card reader pty symlink")
    p.add_argument("--scale", type=Path, required=True, help="scale pty symlink")
    p.add_argument("--fifo", type=Path, required=True, help="command FIFO to create")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s",
                        force=True)
    done = stop_on_signals()
    card = CardReaderSimulator(args.card, "rdm6300")
    scale = ScaleSimulator(args.scale)
    card.start()
    scale.start()
    with contextlib.suppress(FileNotFoundError):
        args.fifo.unlink()
    os.mkfifo(args.fifo)
    fd = os.open(args.fifo, os.O_RDWR | os.O_NONBLOCK)  # RDWR: never EOF when writers leave
    log.info("card reader %s, scale %s; commands: echo 'card ID' > %s", card.path, scale.path,
             args.fifo)
    pending = b""
    try:
        while not done.is_set():
            ready, _, _ = select.select([fd], [], [], 0.3)
            if not ready:
                continue
            pending += os.read(fd, 4096)
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                handle(raw.decode(errors="replace"), card, scale)
    finally:
        os.close(fd)
        card.stop()
        scale.stop()
        with contextlib.suppress(FileNotFoundError):
            args.fifo.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
