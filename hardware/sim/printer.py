"""ESC/POS receipt printer simulator: prints to memory, answers DLE EOT, runs out of paper."""

from __future__ import annotations

import argparse
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image

from hardware.sim.escpos_parser import EscposParser, Item, PrintedImage, PrintedLine, PrintedQr
from hardware.sim.pty import SimDevice

log = logging.getLogger(__name__)

Paper = Literal["ok", "near_end", "out"]


@dataclass
class Document:
    """What came out between two cuts."""

    items: list[Item] = field(default_factory=list)
    fed_lines: int = 0  # ESC d line feeds received (paper moved out past the head)

    @property
    def lines(self) -> list[str]:
        """Printed text lines (without trailing spaces)."""
        return [i.text.rstrip() for i in self.items if isinstance(i, PrintedLine)]

    @property
    def qr_payloads(self) -> list[str]:
        """Payloads of native QR codes."""
        return [i.payload for i in self.items if isinstance(i, PrintedQr)]

    @property
    def images(self) -> list[PrintedImage]:
        """Raster images."""
        return [i for i in self.items if isinstance(i, PrintedImage)]

    def stacked_image(self) -> Image.Image | None:
        """All raster images stacked as on paper (python-escpos splits tall ones), or None."""
        images = [i.image for i in self.images]
        if not images:
            return None
        sheet = Image.new("L", (max(i.width for i in images), sum(i.height for i in images)), 255)
        y = 0
        for img in images:
            sheet.paste(img, (0, y))
            y += img.height
        return sheet

    @property
    def text(self) -> str:
        """All lines joined with newlines."""
        return "\n".join(self.lines)


class PrinterSimulator(SimDevice):
    """A receipt printer on a pty: cut documents in `documents`, torn partial ones in `torn`."""

    def __init__(self, path: str | Path | None = None) -> None:
        """A printer with paper, cover closed, online."""
        super().__init__(path)
        self.paper: Paper = "ok"
        self.cover_open = False
        self.offline = False
        self.cutter_error = False
        self.answers_status = True
        self.documents: list[Document] = []
        self.torn: list[Document] = []
        self.discarded_items = 0
        self._current = Document()
        self._paper_left: int | None = None
        self._changed = threading.Condition()
        self.parser = EscposParser(self._item, self._cut, self._status, self._feed)

    # -- switches the test or the technician flips ------------------------------------------
    def set_paper(self, paper: Paper) -> None:
        """Load paper ("ok"), let it run low, or take it out."""
        with self._changed:
            self.paper = paper
            self._paper_left = None
            if paper == "out":
                self._tear()

    def run_out_after(self, items: int) -> None:
        """Paper ends after this many more printed items (paper-out mid-job)."""
        self._paper_left = items

    def wait_documents(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least `count` cut documents exist."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.documents) >= count, timeout)

    @property
    def can_print(self) -> bool:
        """True when paper is in, the cover closed and the printer online."""
        return self.paper != "out" and not self.cover_open and not self.offline

    # -- parser callbacks ---------------------------------------------------------------------
    def on_bytes(self, data: bytes) -> None:
        """Feed the parser."""
        self.parser.feed(data)

    def _item(self, item: Item) -> None:
        with self._changed:
            if not self.can_print:
                self.discarded_items += 1
                return
            self._current.items.append(item)
            if self._paper_left is not None:
                self._paper_left -= 1
                if self._paper_left <= 0:
                    log.info("simulated printer ran out of paper mid-job")
                    self.paper, self._paper_left = "out", None
                    self._tear()

    def _feed(self, lines: int) -> None:
        with self._changed:
            self._current.fed_lines += lines

    def _tear(self) -> None:
        if self._current.items:
            self.torn.append(self._current)
        self._current = Document()

    def _cut(self) -> None:
        with self._changed:
            if not self.can_print:
                self.discarded_items += 1
                return
            self.documents.append(self._current)
            self._current = Document()
            self._changed.notify_all()

    def status_byte(self, n: int) -> int:
        """The DLE EOT n reply for the current state (fixed bits 0x12 always set)."""
        out = self.paper == "out"
        if n == 1:
            return 0x12 | (0x08 if not self.can_print else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if out else 0)
        if n == 3:
            return 0x12 | (0x08 if self.cutter_error else 0)
        if n == 4:
            return 0x12 | (0x60 if out else 0x0C if self.paper == "near_end" else 0)
        return 0x12

    def _status(self, n: int) -> None:
        if self.answers_status:
            self.port.write(bytes([self.status_byte(n)]))


def main() -> None:
    """Run a printer simulator by hand; prints the path to configure and each receipt."""
    ap = argparse.ArgumentParser(description="ESC/POS printer simulator on a pseudo-terminal")
    ap.add_argument("--path", default=None, help="stable symlink path (default: a temp path)")
    args = ap.parse_args()
    sim = PrinterSimulator(args.path)
    sim.start()
    print(f"printer simulator ready: port {sim.path}  (Ctrl-C to stop)", flush=True)
    shown = 0
    try:
        while True:
            time.sleep(0.2)
            while shown < len(sim.documents):
                doc = sim.documents[shown]
                shown += 1
                print(f"--- receipt {shown} ---\n{doc.text}", flush=True)
                for payload in doc.qr_payloads:
                    print(f"[QR] {payload}", flush=True)
                for img in doc.images:
                    print(f"[image {img.image.width}x{img.image.height}]", flush=True)
                print("--- cut ---", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
