"""Printer status from real DLE EOT bytes; jobs printed once through faults, crashes, failover."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from hardware.printer.device import EscposPrinter
from hardware.printer.queue import PrintQueue, QueueError
from hardware.printer.receipt import Receipt
from hardware.printer.service import ReceiptPrinting
from hardware.printer.status import PrinterFault, decode_status
from hardware.sim.printer import PrinterSimulator
from tests.hardware.conftest import make_receipt

pytestmark = pytest.mark.timeout(60)

Build = Callable[..., EscposPrinter]


@pytest.mark.parametrize(
    "reply,faults",
    [
        ((0x12, 0x12, 0x12, 0x12), set()),
        ((0x1A, 0x32, 0x12, 0x72), {PrinterFault.PAPER_OUT}),
        ((0x12, 0x12, 0x12, 0x1E), {PrinterFault.PAPER_NEAR_END}),
        ((0x1A, 0x16, 0x12, 0x12), {PrinterFault.COVER_OPEN}),
        ((0x1A, 0x12, 0x12, 0x12), {PrinterFault.OFFLINE}),
        ((0x12, 0x12, 0x1A, 0x12), {PrinterFault.CUTTER_ERROR}),
        ((0x12, 0x12, 0x12, 0x00), {PrinterFault.BAD_REPLY}),  # fixed bits missing: not trusted
        ((0xFF, 0x12, 0x12, 0x12), {PrinterFault.BAD_REPLY}),
    ],
)
def test_status_bytes_decode_to_faults(reply: tuple[int, int, int, int], faults: set) -> None:
    status = decode_status(*reply)
    assert set(status.faults) == faults
    assert status.ready == (not faults or faults == {PrinterFault.PAPER_NEAR_END})


def test_faults_have_chinese_and_english_messages() -> None:
    for fault in PrinterFault:
        assert fault.message_zh and not fault.message_zh.isascii()
        assert fault.message_en.isascii()


def test_simulator_states_read_back_through_the_serial_stack(
    make_printer: Build, printer_sim: PrinterSimulator
) -> None:
    printer = make_printer(printer_sim, timeout_s=0.3)
    assert printer.status().faults == frozenset()
    printer_sim.set_paper("near_end")
    assert printer.status().faults == {PrinterFault.PAPER_NEAR_END}
    printer_sim.set_paper("out")
    assert printer.status().faults == {PrinterFault.PAPER_OUT}
    printer_sim.set_paper("ok")
    printer_sim.cover_open = True
    assert printer.status().faults == {PrinterFault.COVER_OPEN}
    printer_sim.cover_open = False
    printer_sim.offline = True
    assert printer.status().faults == {PrinterFault.OFFLINE}
    printer_sim.offline = False
    printer_sim.answers_status = False  # a printer that stays silent is not "online"
    assert printer.status().faults == {PrinterFault.NO_RESPONSE}


def test_unplug_and_replug_printer(
    make_printer: Build, printer_sim: PrinterSimulator, receipt: Receipt, tmp_path: Path
) -> None:
    printer = make_printer(printer_sim, timeout_s=0.3)
    service = ReceiptPrinting(PrintQueue(tmp_path / "q.db"), printer)
    assert printer.status().ready
    printer_sim.unplug()
    assert printer.status().faults == {PrinterFault.DISCONNECTED}
    job = service.queue.enqueue(receipt)
    assert service.print_pending() == []  # waits, nothing lost
    assert service.queue.get(job).state == "queued"
    printer_sim.replug()
    assert [o.state for o in service.print_pending()] == ["done"]
    assert printer_sim.wait_documents(1) and "A023" in printer_sim.documents[0].text


def test_paper_out_mid_job_then_refill_prints_exactly_once(
    make_printer: Build, printer_sim: PrinterSimulator, receipt: Receipt, tmp_path: Path
) -> None:
    service = ReceiptPrinting(
        PrintQueue(tmp_path / "q.db"), make_printer(printer_sim, timeout_s=0.3)
    )
    job = service.queue.enqueue(receipt)
    printer_sim.run_out_after(items=5)
    outcomes = service.print_pending()
    assert [o.state for o in outcomes] == ["queued"]
    assert PrinterFault.PAPER_OUT in outcomes[0].status.faults
    assert printer_sim.documents == [] and len(printer_sim.torn) == 1
    assert service.print_pending() == []  # still out of paper: nothing sent
    printer_sim.set_paper("ok")
    assert [o.state for o in service.print_pending()] == ["done"]
    assert service.print_pending() == []
    assert len(printer_sim.documents) == 1
    assert printer_sim.documents[0].text.count("A023") == 1
    assert service.queue.get(job).attempts == 2


def test_same_order_enqueued_twice_prints_once_and_reprint_is_explicit(
    make_printer: Build, printer_sim: PrinterSimulator, receipt: Receipt, tmp_path: Path
) -> None:
    service = ReceiptPrinting(
        PrintQueue(tmp_path / "q.db"), make_printer(printer_sim, timeout_s=0.3)
    )
    first = service.queue.enqueue(receipt)
    assert service.queue.enqueue(receipt) == first
    service.print_pending()
    again = service.queue.reprint(first)
    service.print_pending()
    assert printer_sim.wait_documents(2)
    assert "REPRINT" not in printer_sim.documents[0].text
    assert "重印 REPRINT" in printer_sim.documents[1].text
    assert service.queue.get(again).reprint_of == first
    with pytest.raises(QueueError):
        service.queue.reprint(9999)


def test_failover_to_backup_when_main_has_a_fault(
    make_printer: Build,
    printer_sim: PrinterSimulator,
    backup_sim: PrinterSimulator,
    tmp_path: Path,
) -> None:
    main = make_printer(printer_sim, "main", timeout_s=0.3)
    backup = make_printer(backup_sim, "backup", timeout_s=0.3, paper_mm=58)
    service = ReceiptPrinting(PrintQueue(tmp_path / "q.db"), main, backup)
    printer_sim.cover_open = True
    service.queue.enqueue(make_receipt("order-1"))
    outcomes = service.print_pending()
    assert [(o.printer, o.state) for o in outcomes] == [("backup", "done")]
    assert service.last_status["main"].faults == {PrinterFault.COVER_OPEN}
    assert backup_sim.wait_documents(1) and printer_sim.documents == []
    printer_sim.cover_open = False
    service.queue.enqueue(make_receipt("order-2"))
    assert [o.printer for o in service.print_pending()] == ["main"]


def test_bad_input_to_the_queue_writes_nothing(tmp_path: Path) -> None:
    queue = PrintQueue(tmp_path / "q.db")
    with pytest.raises(QueueError):
        queue.enqueue({"order_no": "A1"})  # type: ignore[arg-type]
    with pytest.raises(QueueError):
        queue.mark_done(1)
    assert queue.jobs("queued") == [] and queue.next_queued() is None


_CRASHER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from hardware.printer.queue import PrintQueue
    from tests.hardware.conftest import make_receipt
    q = PrintQueue({db!r})
    q.enqueue(make_receipt("pending-1"))
    q.enqueue(make_receipt("pending-2"))
    job = q.enqueue(make_receipt("in-flight"))
    # Take the first two out of the way so the in-flight one is the crash victim.
    q.mark_printing(q.next_queued().id, "main")
    os._exit(9)  # crash: no close, no cleanup
    """
)


def test_crash_then_restart_prints_pending_jobs_once(
    make_printer: Build, printer_sim: PrinterSimulator, tmp_path: Path
) -> None:
    db = tmp_path / "q.db"
    root = str(Path(__file__).resolve().parents[2])
    proc = subprocess.run(
        [sys.executable, "-c", _CRASHER.format(root=root, db=str(db))], timeout=30, check=False
    )
    assert proc.returncode == 9
    queue = PrintQueue(db)  # a new process would do exactly this
    assert [j.job_key for j in queue.jobs("printing")] == ["pending-1"]
    service = ReceiptPrinting(queue, make_printer(printer_sim, timeout_s=0.3))
    # Printer fine after restart: "pending-1" may have come out -> failed, never twice.
    assert service.recover() == []
    assert queue.jobs("failed")[0].job_key == "pending-1"
    assert [o.state for o in service.print_pending()] == ["done", "done"]
    assert printer_sim.wait_documents(2)
    assert service.print_pending() == []
    second = ReceiptPrinting(PrintQueue(db), make_printer(printer_sim, timeout_s=0.3))
    assert second.recover() == [] and second.print_pending() == []
    assert len(printer_sim.documents) == 2


def test_restart_with_printer_out_of_paper_requeues_the_interrupted_job(
    make_printer: Build, printer_sim: PrinterSimulator, tmp_path: Path
) -> None:
    queue = PrintQueue(tmp_path / "q.db")
    job = queue.enqueue(make_receipt("x"))
    queue.mark_printing(job, "main")
    printer_sim.set_paper("out")
    service = ReceiptPrinting(
        PrintQueue(tmp_path / "q.db"), make_printer(printer_sim, timeout_s=0.3)
    )
    assert service.recover() == [job]
    printer_sim.set_paper("ok")
    assert [o.state for o in service.print_pending()] == ["done"]
    assert printer_sim.wait_documents(1) and len(printer_sim.documents) == 1
