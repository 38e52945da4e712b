"""Receipts as they come out of a simulated printer: bytes, Chinese, columns, raster, QR."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from pydantic import ValidationError
from pyzbar.pyzbar import decode

from hardware.printer.device import EscposPrinter
from hardware.printer.receipt import Payment, Receipt
from hardware.printer.render import receipt_bytes
from hardware.sim.escpos_parser import PrintedLine
from hardware.sim.printer import PrinterSimulator
from hardware.text import display_width, two_columns
from tests.hardware.conftest import make_receipt

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("paper_mm,cols", [(58, 32), (80, 42)])  # the default profile: 42
def test_text_receipt_decoded_by_simulator_matches_order(
    make_printer: Callable[..., EscposPrinter],
    printer_sim: PrinterSimulator,
    receipt: Receipt,
    paper_mm: Literal[58, 80],
    cols: int,
) -> None:
    printer = make_printer(printer_sim, paper_mm=paper_mm)
    data = receipt_bytes(receipt, profile="default", paper_mm=paper_mm, text_mode="gb18030")
    assert b"\x1c&" + "红烧肉".encode("gb18030") in data  # Chinese mode, GB18030 bytes
    printer.send(data)
    assert printer_sim.wait_documents(1)
    doc = printer_sim.documents[0]
    text = doc.text
    assert "第一食堂" in text and "A023" in text
    assert "2024-05-01 12:30:05" in text  # local time, Asia/Shanghai
    pork = next(line for line in doc.lines if line.startswith("红烧肉 Braised pork"))
    assert pork.endswith("￥26.00")
    assert "  + 加辣 Extra spicy" in text
    assert "617 g" in text
    for label, amount in [
        ("餐补 Subsidy", "-￥10.00"),
        ("优惠券 Coupon", "-￥2.00"),
        ("积分 Points (100)", "-￥1.00"),
        ("储值支付 Stored value", "￥26.84"),
        ("储值余额 Stored value", "￥88.00"),
        ("积分余额 Points", "1020"),
    ]:
        line = next(line for line in doc.lines if label in line)
        assert line.endswith(amount)
        assert display_width(line) == cols  # right column flush with the paper edge
    assert "?" not in text and "\ufffd" not in text  # nothing garbled
    big = [i.text for i in doc.items if isinstance(i, PrintedLine) and i.big]
    assert "A023" in big  # order number printed large
    assert doc.qr_payloads == ["https://canteen.example/o/0190f3a2"]


def test_raster_fallback_prints_an_image_with_a_readable_qr(
    make_printer: Callable[..., EscposPrinter], printer_sim: PrinterSimulator, receipt: Receipt
) -> None:
    printer = make_printer(printer_sim, paper_mm=80, profile="NT-80-V-UL", text_mode="raster")
    data = receipt_bytes(receipt, profile="NT-80-V-UL", paper_mm=80, text_mode="raster")
    assert "红烧肉".encode("gb18030") not in data and b"\x1c&" not in data
    printer.send(data)
    assert printer_sim.wait_documents(1)
    doc = printer_sim.documents[0]
    image = doc.stacked_image()
    assert doc.lines == [] and image is not None
    assert image.width == 576 and image.height > 800
    dark = np.asarray(image) < 128
    assert 0.03 < dark.mean() < 0.5  # ink on it, not a blank or black page
    assert [d.data.decode() for d in decode(image)] == ["https://canteen.example/o/0190f3a2"]


def test_columns_count_chinese_as_double_width() -> None:
    lines = two_columns("红烧肉 Braised pork with a very long name", "￥126.00", 32)
    assert all(display_width(line) <= 32 for line in lines)
    assert lines[-1].endswith("￥126.00") and display_width(lines[-1]) == 32


def test_payment_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(ValidationError, match="add up"):
        make_receipt(payment=Payment(stored_value_cents=1))


@pytest.mark.parametrize(
    "field,value",
    [("order_no", ""), ("timezone", "Mars/Olympus"), ("lines", ()), ("created_at", "2024-05-01")],
)
def test_bad_receipt_fields_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        make_receipt(**{field: value})  # type: ignore[arg-type]


def test_float_money_is_refused() -> None:
    with pytest.raises(ValidationError):
        Payment(stored_value_cents=12.5)  # type: ignore[arg-type]


def test_sim_save_path_is_symlink(printer_sim: PrinterSimulator, tmp_path: Path) -> None:
    assert printer_sim.path == tmp_path / "printer" and printer_sim.path.is_symlink()
