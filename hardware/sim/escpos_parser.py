"""Parse an ESC/POS byte stream back into what a printer would put on paper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

ESC, GS, FS, DLE, EOT, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x04, 0x0A

#: ESC x: number of argument bytes for the fixed-length commands.
_ESC_ARGS = {
    b"@"[0]: 0,
    b"!"[0]: 1,
    b"E"[0]: 1,
    b"-"[0]: 1,
    b"a"[0]: 1,
    b"M"[0]: 1,
    b"G"[0]: 1,
    b"{"[0]: 1,
    b"d"[0]: 1,
    b"t"[0]: 1,
    b"2"[0]: 0,
    b"3"[0]: 1,
    b"V"[0]: 1,
    b"J"[0]: 1,
    b"r"[0]: 1,
    b"p"[0]: 3,
    b"c"[0]: 2,
    b"B"[0]: 2,
    b"R"[0]: 1,
    b"U"[0]: 1,
    b"="[0]: 1,
    b"$"[0]: 2,
    b"\\"[0]: 2,
    b"i"[0]: 0,
    b"m"[0]: 0,
}
_GS_ARGS = {
    b"!"[0]: 1,
    b"B"[0]: 1,
    b"b"[0]: 1,
    b"h"[0]: 1,
    b"w"[0]: 1,
    b"H"[0]: 1,
    b"f"[0]: 1,
    b"L"[0]: 2,
    b"W"[0]: 2,
    b"P"[0]: 2,
    b"a"[0]: 1,
    b"I"[0]: 1,
    b"r"[0]: 1,
}
_FS_ARGS = {b"&"[0]: 0, b"."[0]: 0, b"!"[0]: 1, b"C"[0]: 1, b"W"[0]: 1, b"-"[0]: 1, b"S"[0]: 2}


@dataclass(frozen=True)
class PrintedLine:
    """A line of text as printed, with its style.

    `big`: every character double width and height. `columns`: the half-width columns the line
    takes on paper, counted from the bytes and the sizes in force the way a Chinese printer
    counts them (a two-byte GB18030 code is one full-width cell; ESC ! sizes single-byte
    characters only, FS ! the Chinese ones, GS ! both).
    """

    text: str
    bold: bool = False
    big: bool = False
    align: str = "left"
    columns: int = 0


@dataclass(frozen=True)
class PrintedQr:
    """A native QR code (GS ( k)."""

    payload: str


@dataclass(frozen=True)
class PrintedImage:
    """A raster image (GS v 0 or GS ( L), black = 0."""

    image: Image.Image


Item = PrintedLine | PrintedQr | PrintedImage


@dataclass
class _Style:
    bold: bool = False
    width: int = 1  # single-byte characters: ESC ! and GS !
    height: int = 1
    hz_width: int = 1  # Chinese-mode double-byte characters: FS ! and GS !
    hz_height: int = 1
    align: str = "left"
    chinese: bool = False

    def sizes(self) -> tuple[int, int, int, int]:
        return self.width, self.height, self.hz_width, self.hz_height


class NeedMore(Exception):
    """The buffer ends inside a command."""


@dataclass
class EscposParser:
    """Incremental parser; `feed` bytes, items come out through the callbacks."""

    on_item: Callable[[Item], None]
    on_cut: Callable[[], None]
    on_status_query: Callable[[int], None]
    on_feed: Callable[[int], None] = field(default=lambda lines: None)
    style: _Style = field(default_factory=_Style)
    unknown: int = 0
    _buf: bytearray = field(default_factory=bytearray)
    _runs: list[tuple[bool, tuple[int, int, int, int], bytearray]] = field(default_factory=list)
    _strip_pending: bool = False
    _qr_data: bytes = b""
    _graphic: Image.Image | None = None

    def feed(self, data: bytes) -> None:
        """Consume bytes; an incomplete trailing command waits for the next feed."""
        self._buf += data
        pos = 0
        buf = self._buf
        while pos < len(buf):
            try:
                pos = self._step(buf, pos)
            except NeedMore:
                break
        del buf[:pos]

    # -- text ---------------------------------------------------------------------------------
    def _add_text(self, byte: int) -> None:
        key = (self.style.chinese, self.style.sizes())
        if not self._runs or self._runs[-1][:2] != key:
            self._runs.append((*key, bytearray()))
        self._runs[-1][2].append(byte)

    def _end_line(self) -> None:
        # Chinese mode runs are GB18030; outside it the printer's default code page (CP437).
        text = "".join(
            bytes(raw).decode("gb18030" if zh else "cp437", errors="replace")
            for zh, _, raw in self._runs
        )
        columns, cells = 0, []
        for zh, (w, h, hz_w, hz_h), raw in self._runs:
            i = 0
            while i < len(raw):
                n = _gb18030_length(raw, i) if zh else 1
                if n == 1:
                    columns += w
                    cells.append(w > 1 and h > 1)
                else:  # one full-width cell per two bytes (a 4-byte code is garbage on GBK)
                    columns += n * hz_w
                    cells.append(hz_w > 1 and hz_h > 1)
                i += n
        self._runs.clear()
        s = self.style
        big = all(cells) if cells else s.width > 1 and s.height > 1
        self.on_item(PrintedLine(text, s.bold, big, s.align, columns))

    # -- commands -----------------------------------------------------------------------------
    @staticmethod
    def _need(buf: bytearray, end: int) -> None:
        if end > len(buf):
            raise NeedMore

    def _step(self, buf: bytearray, pos: int) -> int:
        b = buf[pos]
        if b == LF:
            if self._strip_pending and not self._runs:
                self._strip_pending = False
                return pos + 1
            self._end_line()
            return pos + 1
        if b == ESC:
            return self._esc(buf, pos)
        if b == GS:
            return self._gs(buf, pos)
        if b == FS:
            self._need(buf, pos + 2)
            cmd = buf[pos + 1]
            if cmd == b"&"[0]:
                self.style.chinese = True
            elif cmd == b"."[0]:
                self.style.chinese = False
            n = _FS_ARGS.get(cmd)
            if n is None:
                self.unknown += 1
                return pos + 2
            self._need(buf, pos + 2 + n)
            if cmd == b"!"[0]:  # Chinese characters' print mode: bit 2 double width, 3 height
                arg = buf[pos + 2]
                self.style.hz_width = 2 if arg & 0x04 else 1
                self.style.hz_height = 2 if arg & 0x08 else 1
            return pos + 2 + n
        if b == DLE:
            self._need(buf, pos + 3)
            if buf[pos + 1] == EOT:
                self.on_status_query(buf[pos + 2])
            return pos + 3
        if b >= 0x20 or b == 0x09:
            self._add_text(b)
        elif b != 0x0D:
            self.unknown += 1
        return pos + 1

    def _esc(self, buf: bytearray, pos: int) -> int:
        self._need(buf, pos + 2)
        cmd = buf[pos + 1]
        if cmd == b"*"[0]:  # column bit image: ESC * m nL nH d...
            self._need(buf, pos + 5)
            m, dots = buf[pos + 2], buf[pos + 3] | buf[pos + 4] << 8
            rows = 3 if m in (32, 33) else 1
            self._need(buf, pos + 5 + dots * rows)
            data = np.frombuffer(bytes(buf[pos + 5 : pos + 5 + dots * rows]), dtype=np.uint8)
            bits = np.unpackbits(data).reshape(dots, rows * 8).T  # one column per `rows` bytes
            self.on_item(
                PrintedImage(Image.fromarray(np.where(bits == 1, 0, 255).astype(np.uint8)))
            )
            self._strip_pending = True  # the LF after a strip advances paper, it is no text line
            return pos + 5 + dots * rows
        n = _ESC_ARGS.get(cmd)
        if n is None:
            self.unknown += 1
            return pos + 2
        self._need(buf, pos + 2 + n)
        arg = buf[pos + 2] if n else 0
        s = self.style
        if cmd == b"@"[0]:
            self.style = _Style()
        elif cmd == b"!"[0]:  # single-byte font only: hanzi keep the size GS !/FS ! gave them
            s.bold, s.height, s.width = (
                bool(arg & 0x08),
                2 if arg & 0x10 else 1,
                2 if arg & 0x20 else 1,
            )
        elif cmd == b"d"[0]:  # print and feed n lines
            if self._runs:
                self._end_line()
            self.on_feed(arg)
        elif cmd == b"E"[0]:
            s.bold = bool(arg & 1)
        elif cmd == b"a"[0]:
            s.align = {
                0: "left",
                1: "center",
                2: "right",
                48: "left",
                49: "center",
                50: "right",
            }.get(arg, "left")
        return pos + 2 + n

    def _gs(self, buf: bytearray, pos: int) -> int:
        self._need(buf, pos + 2)
        cmd = buf[pos + 1]
        if cmd == b"V"[0]:
            self._need(buf, pos + 3)
            m = buf[pos + 2]
            end = pos + 4 if m in (65, 66, 97, 98, 103, 104) else pos + 3
            self._need(buf, end)
            if self._runs:
                self._end_line()
            self.on_cut()
            return end
        if cmd == b"("[0]:
            self._need(buf, pos + 5)
            length = buf[pos + 3] | buf[pos + 4] << 8
            self._need(buf, pos + 5 + length)
            body = bytes(buf[pos + 5 : pos + 5 + length])
            if buf[pos + 2] == b"k"[0]:
                self._qr(body)
            elif buf[pos + 2] == b"L"[0]:
                self._graphics(body)
            return pos + 5 + length
        if cmd == b"v"[0]:  # GS v 0 m xL xH yL yH d...
            self._need(buf, pos + 8)
            wb = buf[pos + 4] | buf[pos + 5] << 8
            h = buf[pos + 6] | buf[pos + 7] << 8
            self._need(buf, pos + 8 + wb * h)
            self.on_item(
                PrintedImage(_bits_to_image(bytes(buf[pos + 8 : pos + 8 + wb * h]), wb, h))
            )
            return pos + 8 + wb * h
        if cmd == b"k"[0]:  # barcode: NUL-terminated (m<=6) or counted (m>=65)
            self._need(buf, pos + 4)
            m = buf[pos + 2]
            if m <= 6:
                end = buf.find(b"\x00", pos + 3)
                if end < 0:
                    raise NeedMore
                return end + 1
            self._need(buf, pos + 4 + buf[pos + 3])
            return pos + 4 + buf[pos + 3]
        n = _GS_ARGS.get(cmd)
        if n is None:
            self.unknown += 1
            return pos + 2
        self._need(buf, pos + 2 + n)
        if cmd == b"!"[0]:  # every character
            arg = buf[pos + 2]
            s = self.style
            s.width, s.height = (arg >> 4) + 1, (arg & 0x0F) + 1
            s.hz_width, s.hz_height = s.width, s.height
        return pos + 2 + n

    def _qr(self, body: bytes) -> None:
        # body = cn fn [m] data; cn 49 is QR; fn 80 stores (m='0'), fn 81 prints.
        if len(body) < 2 or body[0] != 49:
            return
        if body[1] == 80:
            self._qr_data = body[3:]
        elif body[1] == 81:
            self.on_item(PrintedQr(self._qr_data.decode("utf-8", errors="replace")))

    def _graphics(self, body: bytes) -> None:
        # m fn ...: fn 112 ('p') stores a raster, fn 50 ('2') prints it.
        if len(body) >= 10 and body[1] == 112:
            w, h = body[6] | body[7] << 8, body[8] | body[9] << 8
            self._graphic = _bits_to_image(body[10:], (w + 7) // 8, h)
        elif len(body) >= 2 and body[1] == 50 and self._graphic is not None:
            self.on_item(PrintedImage(self._graphic))
            self._graphic = None


def _gb18030_length(raw: bytearray, i: int) -> int:
    """Bytes of the GB18030 code starting at raw[i]: 1 (ASCII), 2, or 4 (second byte a digit)."""
    if raw[i] < 0x81 or i + 1 >= len(raw):
        return 1
    return 4 if 0x30 <= raw[i + 1] <= 0x39 else 2


def _bits_to_image(data: bytes, width_bytes: int, height: int) -> Image.Image:
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8)).reshape(height, width_bytes * 8)
    return Image.fromarray(np.where(bits == 1, 0, 255).astype(np.uint8), mode="L")
