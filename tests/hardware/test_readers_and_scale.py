"""Card readers, scanner and scale on real serial ports (ptys): bad frames, debounce, unplug."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.config import (
    ContinuousScaleConfig,
    LineCardReaderConfig,
    LineScannerConfig,
    Rdm6300ReaderConfig,
)
from hardware.readers.devices import BarcodeScanner, LineCardReader, Rdm6300Reader
from hardware.readers.framing import Rdm6300Framer, rdm6300_frame
from hardware.scale import ContinuousScale, ScaleError, parse_frame
from hardware.sim.card import CardReaderSimulator, ScannerSimulator
from hardware.sim.scale import ScaleSimulator

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def rdm(tmp_path: Path) -> Iterator[tuple[CardReaderSimulator, Rdm6300Reader]]:
    sim = CardReaderSimulator(tmp_path / "rdm", "rdm6300")
    sim.start()
    reader = Rdm6300Reader(
        Rdm6300ReaderConfig(
            type="card_rdm6300", port=str(sim.path), debounce_s=0.5, reconnect_s=0.1
        )
    )
    reader.start()
    assert reader.wait_connected(3)
    yield sim, reader
    reader.stop()
    sim.stop()


def test_rdm6300_checksum_is_xor_of_the_five_data_bytes() -> None:
    # 0x0A ^ 0x00 ^ 0x12 ^ 0x34 ^ 0x56 == 0x7A
    assert rdm6300_frame("0A00123456") == b"\x020A001234567A\x03"
    framer = Rdm6300Framer()
    assert framer.feed(rdm6300_frame("0A00123456"), 0.0) == ["0A00123456"]


def test_rdm6300_reads_and_discards_bad_frames(
    rdm: tuple[CardReaderSimulator, Rdm6300Reader],
) -> None:
    sim, reader = rdm
    sim.send_raw(b"\xff\x00noise")  # line noise
    sim.send_bad_checksum("0A00123456")
    sim.send_raw(b"\x020A0012")  # partial frame, then a new frame starts
    sim.tap("1B00ABCDEF")
    read = reader.read(2)
    assert read is not None and read.value == "1B00ABCDEF" and read.kind == "card"
    sim.send_raw(b"\x02ZZZZZZZZZZZZ\x03")  # not hex
    sim.tap("0A00123456")
    assert (r := reader.read(2)) is not None and r.value == "0A00123456"
    assert reader.counts["bad_checksum"] == 1
    assert reader.counts["partial"] == 1
    assert reader.counts["garbage"] >= 2
    assert reader.reads.empty()


def test_same_card_is_debounced_then_accepted_after_the_window(
    rdm: tuple[CardReaderSimulator, Rdm6300Reader],
) -> None:
    sim, reader = rdm
    sim.tap("0A00123456", repeats=5)  # a card held on the reader
    assert reader.read(2) is not None
    assert reader.read(0.3) is None
    assert reader.counts["debounced"] == 4
    time.sleep(0.6)
    sim.tap("0A00123456")
    assert reader.read(2) is not None


def test_line_reader_validates_pattern_and_survives_unplug(tmp_path: Path) -> None:
    sim = CardReaderSimulator(tmp_path / "line", "line")
    sim.start()
    reader = LineCardReader(
        LineCardReaderConfig(type="card_line", port=str(sim.path), debounce_s=0.0, reconnect_s=0.1)
    )
    reader.start()
    try:
        assert reader.wait_connected(3)
        sim.send_raw(b"not-a-card!\r\n" + b"\xfe\xfe\r\n")
        sim.tap("0012345678")
        assert (r := reader.read(2)) is not None and r.value == "0012345678"
        assert reader.counts["invalid"] == 1 and reader.counts["garbage"] == 1
        sim.unplug()
        deadline = time.monotonic() + 3
        while reader.state != "disconnected" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert reader.state == "disconnected"
        sim.replug()
        assert reader.wait_connected(3) and reader.reconnects == 1
        sim.tap("0087654321")
        assert (r := reader.read(2)) is not None and r.value == "0087654321"
    finally:
        reader.stop()
        sim.stop()


def test_scanner_reads_codes_and_refuses_overlong_lines(tmp_path: Path) -> None:
    sim = ScannerSimulator(tmp_path / "scan")
    sim.start()
    scanner = BarcodeScanner(
        LineScannerConfig(type="scanner_line", port=str(sim.path), max_length=32, reconnect_s=0.1)
    )
    scanner.start()
    try:
        assert scanner.wait_connected(3)
        sim.scan("X" * 100)
        sim.scan("MEMBER:0190f3a2")
        assert (r := scanner.read(2)) is not None and r.value == "MEMBER:0190f3a2"
        assert r.kind == "code" and scanner.counts["too_long"] >= 1
    finally:
        scanner.stop()
        sim.stop()


@pytest.mark.parametrize(
    "line,grams,status",
    [
        ("ST,GS,+0001.234kg", 1234, "ST"),
        ("US,NT,-0000.050kg", -50, "US"),
        ("ST,GS,+  617g", 617, "ST"),
    ],
)
def test_scale_lines_parse(line: str, grams: int, status: str) -> None:
    frame = parse_frame(line)
    assert (frame.grams, frame.status) == (grams, status)


@pytest.mark.parametrize("line", ["", "ST,GS,+1.2lb", "XX,GS,+0001.000kg", "ST,GS,0001.000kg"])
def test_bad_scale_lines_are_refused(line: str) -> None:
    with pytest.raises(ScaleError):
        parse_frame(line)


def test_scale_settles_tares_and_reconnects(tmp_path: Path) -> None:
    sim = ScaleSimulator(tmp_path / "scale")
    sim.garbage_every = 7
    sim.start()
    scale = ContinuousScale(
        ContinuousScaleConfig(
            type="scale_continuous", port=str(sim.path), stable_window_s=0.3, reconnect_s=0.1
        )
    )
    scale.start()
    try:
        assert scale.wait_connected(3)
        sim.place(180, settle_s=0.4)  # the empty plate
        time.sleep(0.1)
        assert scale.latest is not None and not scale.latest.stable
        with pytest.raises(ScaleError):
            scale.tare()
        plate = scale.wait_stable(3)
        assert plate is not None and plate.gross_g == 180
        assert scale.tare() == 180
        sim.place(180 + 452, settle_s=0.4)  # food on the plate
        time.sleep(0.1)
        weight = scale.wait_stable(3)
        assert weight is not None and weight.net_g == 452 and weight.tare_g == 180
        assert scale.framer.counts["garbage"] >= 1
        sim.unplug()
        time.sleep(0.3)
        assert scale.state == "disconnected" and scale.wait_stable(0.1) is None
        sim.replug()
        assert scale.wait_connected(3)
        again = scale.wait_stable(3)
        assert again is not None and again.net_g == 452
    finally:
        scale.stop()
        sim.stop()
