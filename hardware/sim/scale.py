"""Scale simulator: streams "ST,GS,+0001.234kg" lines at ~20 Hz with settling noise."""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from hardware.sim.pty import SimDevice


def scale_line(grams: float, stable: bool, net: bool = False) -> bytes:
    """One continuous-output line as the scale sends it."""
    sign = "-" if grams < 0 else "+"
    status = "ST" if stable else "US"
    return f"{status},{'NT' if net else 'GS'},{sign}{abs(grams) / 1000:08.3f}kg\r\n".encode()


class ScaleSimulator(SimDevice):
    """A buffet scale: place() a load, it wobbles for `settle_s`, then reads steady."""

    tick_s = 0.05

    def __init__(self, path: str | Path | None = None, seed: int = 7) -> None:
        """An empty scale."""
        super().__init__(path)
        self.target_g = 0.0
        self.settle_s = 0.4
        self._placed_at = 0.0
        self._rng = random.Random(seed)
        self.garbage_every = 0  # send a garbage line every N lines (0: never)
        self._sent = 0

    def place(self, grams: float, settle_s: float = 0.4) -> None:
        """Put a load on the scale (total gross grams)."""
        self.target_g, self.settle_s, self._placed_at = grams, settle_s, time.monotonic()

    def tick(self) -> None:
        """Send the current reading."""
        age = time.monotonic() - self._placed_at
        if age < self.settle_s:
            wobble = (1 - age / self.settle_s) * max(20.0, self.target_g * 0.1)
            line = scale_line(self.target_g + self._rng.uniform(-wobble, wobble), stable=False)
        else:
            line = scale_line(self.target_g, stable=True)
        self._sent += 1
        if self.garbage_every and self._sent % self.garbage_every == 0:
            line = b"\x00\xffST,GS,+00?1.2kg\r\n"
        self.port.write(line)


def main() -> None:
    """Run a scale simulator by hand: type grams and Enter to place a load."""
    ap = argparse.ArgumentParser(description="weighing scale simulator on a pseudo-terminal")
    ap.add_argument("--path", default=None)
    args = ap.parse_args()
    sim = ScaleSimulator(args.path)
    sim.start()
    print(f"scale simulator ready: port {sim.path}; type grams and Enter, Ctrl-D to stop")
    try:
        while True:
            text = input().strip()
            if text:
                sim.place(float(text))
    except (EOFError, KeyboardInterrupt, ValueError):
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
