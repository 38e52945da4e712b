# mypy: disable-error-code="union-attr, no-untyped-def, arg-type"
"""Printer and scale answer later: the done screen first, the receipt's outcome after."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hardware.sim.printer import PrinterSimulator
from hardware.sim.scale import ScaleSimulator
from kiosk.controllers.journey import Step
from tests.kiosk.controllers.conftest import Kiosk, make_kiosk


class Later:
    """A Background that holds jobs until the test runs them (each on a real thread)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, Callable[[], Any], Callable[[Any], None]]] = []

    def submit(self, name: str, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.jobs.append((name, work, done))

    def run_all(self) -> None:
        """Work on a thread (as on the kiosk); the answer back on this (the 'UI') thread."""
        while self.jobs:
            _name, work, done = self.jobs.pop(0)
            box: list[Any] = []
            worker = threading.Thread(target=lambda w=work, b=box: b.append(w()))
            worker.start()
            worker.join(10)
            done(box[0])


@pytest.fixture
def printer(tmp_path: Path):
    sim = PrinterSimulator(tmp_path / "printer")
    sim.start()
    yield sim
    sim.stop()


def printer_kiosk(tmp_path: Path, printer: PrinterSimulator) -> Kiosk:
    return make_kiosk(tmp_path, hardware={
        "devices": {"receipt": {"type": "escpos_serial", "port": str(printer.path)}},
        "receipt": {"main": "receipt", "queue_path": str(tmp_path / "print.db")}})


def order_greens(j) -> None:
    j.start()
    j.identify("guest")
    assert j.open_dish("greens")
    j.choose_option("portion", "regular")
    assert j.add_dish()
    j.open_cart()


def test_done_screen_first_then_the_receipt_prints(tmp_path: Path, printer) -> None:
    k = printer_kiosk(tmp_path, printer)
    later = Later()
    k.journey.use_background(later)
    try:
        j = k.journey
        order_greens(j)
        assert j.checkout(), j.state.message
        # recorded and shown before anything went to the printer
        assert j.state.step is Step.DONE and j.done.state.order_no == "A001"
        assert j.done.state.printing and j.done.state.printer_message is None
        assert k.store.order_totals() == (1, 600)
        assert printer.documents == [] and [n for n, _w, _d in later.jobs] == ["receipt"]
        later.run_all()
        assert printer.wait_documents(1)
        assert not j.done.state.printing and j.done.state.printer_message is None
        assert j.state.message is None
        assert j.last_checkout.printed.printed
    finally:
        k.runtime.stop()


def test_printer_fault_reaches_the_done_screen_later(tmp_path: Path, printer) -> None:
    printer.set_paper("out")
    k = printer_kiosk(tmp_path, printer)
    later = Later()
    k.journey.use_background(later)
    try:
        j = k.journey
        order_greens(j)
        assert j.checkout()
        assert j.done.state.printing and j.state.message is None
        later.run_all()
        msg = j.done.state.printer_message
        assert "缺纸" in msg.zh and "out of paper" in msg.en
        assert j.state.message == msg and k.store.order_totals() == (1, 600)
    finally:
        k.runtime.stop()


def test_a_late_printer_answer_after_reset_is_ignored(tmp_path: Path, printer) -> None:
    printer.set_paper("out")
    k = printer_kiosk(tmp_path, printer)
    later = Later()
    k.journey.use_background(later)
    try:
        j = k.journey
        order_greens(j)
        assert j.checkout()
        j.finish()
        later.run_all()
        assert j.state.step is Step.IDLE and j.state.message is None
        assert j.done.state.order_no == ""
    finally:
        k.runtime.stop()


def test_weighing_runs_in_the_background_and_latest_never_waits(tmp_path: Path) -> None:
    scale = ScaleSimulator(tmp_path / "scale")
    scale.start()
    k = make_kiosk(tmp_path, hardware={"devices": {"scale": {
        "type": "scale_continuous", "port": str(tmp_path / "scale"),
        "stable_window_s": 0.5}}}, roles={"scale": "scale"})  # 0.2 s flickers under load
    k.runtime.start()
    later = Later()
    k.journey.use_background(later)
    try:
        j = k.journey
        j.start()
        j.identify("guest")
        assert j.open_dish("buffet-meat")
        scale.place(333, settle_s=0.2)
        j.weigh()
        # The tap only queued the weighing: nothing was read on the UI thread.
        assert len(later.jobs) == 1
        assert j.detail.state.weighing and j.detail.state.grams is None
        later.run_all()
        assert not j.detail.state.weighing and j.detail.state.grams == 333, j.state.message
        assert j.detail.state.line_total_text == "￥13.25"
        # The live weight is what the scale's reader last saw: no read, no job, no wait.
        latest = j.live_weight()
        assert later.jobs == []
        assert latest is not None and latest.net_g == 333 and latest.stable
        assert j.add_dish()
    finally:
        k.runtime.stop()
        scale.stop()


def test_unsettled_weight_is_refused_after_the_wait(kiosk: Kiosk) -> None:
    later = Later()
    kiosk.journey.use_background(later)
    j = kiosk.journey
    j.start()
    j.identify("guest")
    assert j.open_dish("buffet-veg")
    assert j.live_weight() is None  # no scale on this kiosk
    assert not j.add_dish()  # weighs first: the answer comes later
    later.run_all()
    assert "scale" in j.state.message.en and not j.detail.state.weighing
    assert len(j.session.cart) == 0 and j.state.step is Step.DETAIL


def test_a_crash_right_after_confirm_still_prints_the_receipt_once(
    tmp_path: Path, printer
) -> None:
    k = printer_kiosk(tmp_path, printer)
    later = Later()
    k.journey.use_background(later)
    order_greens(k.journey)
    assert k.journey.checkout(), k.journey.state.message
    # The kiosk dies before the print job ran: the job is already in the durable queue.
    k.runtime.stop()
    assert printer.documents == []
    restarted = printer_kiosk(tmp_path, printer)  # same store, same print queue file
    restarted.runtime.start()
    try:
        assert printer.wait_documents(1), "the queued receipt was not printed on restart"
        time.sleep(0.5)
        assert len(printer.documents) == 1
        # The restarted kiosk's first order prints only its own receipt.
        restarted.journey.use_background(Later())
        order_greens(restarted.journey)
        assert restarted.journey.checkout()
        assert restarted.journey.state.step is Step.DONE
    finally:
        restarted.runtime.stop()
