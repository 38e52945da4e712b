"""Card reader and scanner simulators: line readers (number + CR/LF) and RDM6300 frames."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Literal

from hardware.readers.framing import rdm6300_frame
from hardware.sim.pty import SimDevice


class CardReaderSimulator(SimDevice):
    """Emits what a reader sends when a card is tapped, and bad frames on request."""

    def __init__(
        self, path: str | Path | None = None, protocol: Literal["line", "rdm6300"] = "line"
    ) -> None:
        """A reader speaking `protocol`."""
        super().__init__(path)
        self.protocol = protocol

    def frame(self, card: str) -> bytes:
        """The bytes this reader sends for `card`."""
        if self.protocol == "rdm6300":
            return rdm6300_frame(card)
        return card.encode() + b"\r\n"

    def tap(self, card: str, repeats: int = 1) -> bool:
        """A card held on the reader sends its frame `repeats` times back to back."""
        return self.port.write(self.frame(card) * repeats)

    def send_raw(self, data: bytes) -> bool:
        """Arbitrary bytes: line noise, partial frames."""
        return self.port.write(data)

    def send_bad_checksum(self, card: str) -> bool:
        """An RDM6300 frame whose checksum is wrong."""
        return self.port.write(rdm6300_frame(card, corrupt_checksum=True))


class ScannerSimulator(CardReaderSimulator):
    """A serial barcode/QR scanner: each scan is the code + CR/LF."""

    def __init__(self, path: str | Path | None = None) -> None:
        """A line scanner."""
        super().__init__(path, "line")

    def scan(self, code: str) -> bool:
        """Scan one code."""
        return self.port.write(code.encode("utf-8") + b"\r\n")


def main() -> None:
    """Run a card reader simulator by hand: type a card id and press Enter to tap it."""
    ap = argparse.ArgumentParser(description="card reader simulator on a pseudo-terminal")
    ap.add_argument("--protocol", choices=["line", "rdm6300"], default="rdm6300")
    ap.add_argument("--path", default=None)
    args = ap.parse_args()
    sim = CardReaderSimulator(args.path, args.protocol)
    sim.start()
    print(f"card reader simulator ({args.protocol}) ready: port {sim.path}", flush=True)
    print("type a card id (10 hex chars for rdm6300) and Enter to tap; Ctrl-D to stop", flush=True)
    try:
        for line in iter(input, None):
            card = line.strip()
            if card:
                print(f"tap {card}: {sim.frame(card)!r}", flush=True)
                sim.tap(card)
                time.sleep(0.05)
    except (EOFError, KeyboardInterrupt, ValueError) as err:
        if isinstance(err, ValueError):
            print(f"error: {err}")
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
