"""Receipt render + send time: GB18030 text mode against the raster fallback, over a pty.

Run: python bench/hardware_receipt.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", tempfile.gettempdir())
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.config import EscposSerialPrinterConfig
from hardware.printer.device import EscposPrinter
from hardware.printer.render import receipt_bytes
from hardware.sim.printer import PrinterSimulator
from tests.hardware.conftest import make_receipt

N = 20


def main() -> None:
    """Print median render and render+send times per mode."""
    sim = PrinterSimulator(Path(tempfile.mkdtemp()) / "printer")
    sim.start()
    printer = EscposPrinter(
        "bench", EscposSerialPrinterConfig(type="escpos_serial", port=str(sim.path))
    )
    receipt = make_receipt()
    for mode, profile in [("gb18030", "default"), ("raster", "NT-80-V-UL")]:
        render, total, size = [], [], 0
        for _ in range(N):
            t = time.perf_counter()
            data = receipt_bytes(receipt, profile=profile, paper_mm=80, text_mode=mode)  # type: ignore[arg-type]
            render.append((time.perf_counter() - t) * 1000)
            printer.send(data)
            total.append((time.perf_counter() - t) * 1000)
            size = len(data)
        print(
            f"{mode:8s} 80 mm: {size} bytes, render {statistics.median(render):.1f} ms, "
            f"render+send over pty {statistics.median(total):.1f} ms (median of {N})"
        )
    printer.close()
    sim.stop()


if __name__ == "__main__":
    main()
