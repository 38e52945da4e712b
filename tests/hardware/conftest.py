"""Fixtures for hardware tests: simulators on ptys, a sample bilingual receipt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hardware.config import EscposSerialPrinterConfig
from hardware.printer.device import EscposPrinter
from hardware.printer.receipt import (
    Balances,
    Modifier,
    Payment,
    Receipt,
    ReceiptLine,
)
from hardware.sim.printer import PrinterSimulator


def make_receipt(order_id: str = "0190f3a2-7b1c-7d00-8000-000000000001", **kw: object) -> Receipt:
    """A lunch with Chinese/English names, a modifier, subsidy, coupon, points and stored value."""
    data: dict[str, object] = dict(
        canteen_name="第一食堂 Canteen One",
        order_no="A023",
        order_id=order_id,
        created_at=datetime(2024, 5, 1, 4, 30, 5, tzinfo=UTC),
        member_name="张伟 Zhang Wei",
        lines=(
            ReceiptLine(
                name_zh="红烧肉",
                name_en="Braised pork",
                qty=2,
                unit_price_cents=1200,
                modifiers=(Modifier(name_zh="加辣", name_en="Extra spicy", price_cents=100),),
            ),
            ReceiptLine(name_zh="米饭", name_en="Rice", qty=1, unit_price_cents=150),
            ReceiptLine(
                name_zh="称重自选", name_en="Buffet", qty=1, unit_price_cents=1234, weight_g=617
            ),
        ),
        payment=Payment(
            subsidy_cents=1000,
            coupon_cents=200,
            points_used=100,
            points_cents=100,
            stored_value_cents=2684,
        ),
        balances=Balances(stored_value_cents=8800, subsidy_cents=0, points=1020),
        qr_payload="https://canteen.example/o/0190f3a2",
    )
    data.update(kw)
    return Receipt(**data)  # type: ignore[arg-type]


@pytest.fixture
def receipt() -> Receipt:
    """The sample receipt."""
    return make_receipt()


@pytest.fixture
def printer_sim(tmp_path: Path) -> Iterator[PrinterSimulator]:
    """A running printer simulator at tmp_path/printer."""
    sim = PrinterSimulator(tmp_path / "printer")
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def backup_sim(tmp_path: Path) -> Iterator[PrinterSimulator]:
    """A second printer simulator (the backup)."""
    sim = PrinterSimulator(tmp_path / "backup")
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def make_printer() -> Iterator[Callable[..., EscposPrinter]]:
    """Build printers on simulators; closed before the simulators go away."""
    made: list[EscposPrinter] = []

    def build(sim: PrinterSimulator, name: str = "main", **kw: object) -> EscposPrinter:
        cfg = EscposSerialPrinterConfig(type="escpos_serial", port=str(sim.path), **kw)
        made.append(EscposPrinter(name, cfg))
        return made[-1]

    yield build
    for printer in made:
        printer.close()
