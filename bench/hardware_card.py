"""Card tap -> member id latency through pty + pyserial + framer + debounce.

Baseline: the same bytes through the RDM6300 framer in-process (no serial stack).
Run: python bench/hardware_card.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.config import Rdm6300ReaderConfig
from hardware.readers.devices import Rdm6300Reader
from hardware.readers.framing import Rdm6300Framer, rdm6300_frame
from hardware.sim.card import CardReaderSimulator

TAPS = 200


def main() -> None:
    """Print median and p95 tap latency."""
    sim = CardReaderSimulator(Path(tempfile.mkdtemp()) / "rdm", "rdm6300")
    sim.start()
    reader = Rdm6300Reader(
        Rdm6300ReaderConfig(type="card_rdm6300", port=str(sim.path), debounce_s=0)
    )
    reader.start()
    reader.wait_connected(3)
    serial_ms = []
    for i in range(TAPS):
        card = f"{i:010X}"
        t = time.perf_counter()
        sim.tap(card)
        read = reader.read(2)
        serial_ms.append((time.perf_counter() - t) * 1000)
        assert read is not None and read.value == card
    reader.stop()
    sim.stop()
    framer = Rdm6300Framer()
    local_ms = []
    for i in range(TAPS):
        t = time.perf_counter()
        framer.feed(rdm6300_frame(f"{i:010X}"), 0.0)
        local_ms.append((time.perf_counter() - t) * 1000)
    p95 = sorted(serial_ms)[int(TAPS * 0.95)]
    print(
        f"card tap -> id over pty+pyserial: median {statistics.median(serial_ms):.2f} ms, "
        f"p95 {p95:.2f} ms | baseline framer only: median {statistics.median(local_ms):.4f} ms"
    )


if __name__ == "__main__":
    main()
