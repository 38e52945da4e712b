"""`python -m hardware.sim.scanner`: a serial barcode scanner simulator (type a code + Enter)."""

from __future__ import annotations

import argparse

from hardware.sim.card import ScannerSimulator


def main() -> None:
    """Run a scanner simulator by hand."""
    ap = argparse.ArgumentParser(description="barcode scanner simulator on a pseudo-terminal")
    ap.add_argument("--path", default=None)
    args = ap.parse_args()
    sim = ScannerSimulator(args.path)
    sim.start()
    print(f"scanner simulator ready: port {sim.path}; type a code and Enter, Ctrl-D to stop")
    try:
        while True:
            code = input().strip()
            if code:
                sim.scan(code)
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
