"""Print queued receipts once each; fail over to a backup printer when the main one has a fault."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from hardware.printer.device import EscposPrinter, PrinterError
from hardware.printer.queue import PrintQueue
from hardware.printer.receipt import MoneyFormatter, default_money
from hardware.printer.render import receipt_bytes
from hardware.printer.status import PrinterFault, PrinterStatus

log = logging.getLogger(__name__)

#: Faults that mean the printer stopped on its own while printing: the job did not finish.
_STOPPED_MID_JOB = {PrinterFault.PAPER_OUT, PrinterFault.COVER_OPEN}


@dataclass(frozen=True)
class PrintOutcome:
    """What happened to one job in one attempt."""

    job_id: int
    printer: str
    state: str
    status: PrinterStatus


class ReceiptPrinting:
    """Drains a PrintQueue onto a main printer, or the backup when the main one reports a fault."""

    def __init__(
        self,
        queue: PrintQueue,
        main: EscposPrinter,
        backup: EscposPrinter | None = None,
        money: MoneyFormatter = default_money,
    ) -> None:
        """Wire the queue to its printers; nothing is sent until recover()/print_pending()."""
        self.queue = queue
        self.printers = {p.name: p for p in (main, backup) if p is not None}
        self.main, self.backup = main, backup
        self.money = money
        self.last_status: dict[str, PrinterStatus] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_status(self) -> dict[str, PrinterStatus]:
        """Fresh status of every printer (for the kiosk screen and the agent's heartbeat)."""
        with self._lock:
            self.last_status = {name: p.status() for name, p in self.printers.items()}
            return dict(self.last_status)

    def recover(self) -> list[int]:
        """Settle jobs a crash left in 'printing'; returns the ids queued again.

        Decision: if that printer now reports paper-out or cover-open, it stopped mid-job, so the
        job is queued again. Otherwise we cannot know whether it came out, and "never twice" wins:
        the job is marked failed and waits for an explicit reprint.
        """
        requeued = []
        with self._lock:
            for job in self.queue.jobs("printing"):
                printer = self.printers.get(job.printer or "", self.main)
                status = printer.status()
                if status.faults & _STOPPED_MID_JOB:
                    self.queue.mark_queued(job.id, "interrupted by " + _codes(status))
                    requeued.append(job.id)
                else:
                    self.queue.mark_failed(job.id, "interrupted by a restart; outcome unknown")
                log.warning(
                    "print job %s was interrupted; now %s", job.id, self.queue.get(job.id).state
                )
        return requeued

    def _choose(self) -> tuple[EscposPrinter | None, dict[str, PrinterStatus]]:
        seen = {}
        for printer in (self.main, self.backup):
            if printer is None:
                continue
            status = printer.status()
            seen[printer.name] = status
            if status.ready:
                return printer, seen
        return None, seen

    def print_pending(self) -> list[PrintOutcome]:
        """Print every queued job once; stops (jobs stay queued) while no printer is ready."""
        outcomes = []
        with self._lock:
            while (job := self.queue.next_queued()) is not None:
                printer, seen = self._choose()
                self.last_status.update(seen)
                if printer is None:
                    break
                cfg = printer.config
                data = receipt_bytes(
                    job.receipt,
                    profile=cfg.profile,
                    paper_mm=cfg.paper_mm,
                    text_mode=cfg.text_mode,
                    money=self.money,
                    tear_feed_lines=cfg.tear_feed_lines,
                )
                self.queue.mark_printing(job.id, printer.name)
                try:
                    printer.send(data)
                except PrinterError as err:
                    # The write failed part-way: the receipt cannot have completed; print again.
                    self.queue.mark_queued(job.id, str(err))
                    outcomes.append(PrintOutcome(job.id, printer.name, "queued", printer.status()))
                    continue
                after = printer.status()
                self.last_status[printer.name] = after
                if after.ready:
                    self.queue.mark_done(job.id)
                    state = "done"
                elif after.faults & _STOPPED_MID_JOB:
                    self.queue.mark_queued(job.id, _codes(after))
                    state = "queued"
                else:
                    # Sent, but the printer vanished before confirming: do not risk a duplicate.
                    self.queue.mark_failed(job.id, "no status after sending: " + _codes(after))
                    state = "failed"
                log.info("print job %s on %s: %s", job.id, printer.name, state)
                outcomes.append(PrintOutcome(job.id, printer.name, state, after))
        return outcomes

    def start(self, interval_s: float = 1.0) -> None:
        """Recover, then print pending jobs every `interval_s` in a background thread."""
        self.recover()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(interval_s,), daemon=True)
        self._thread.start()

    def _loop(self, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.print_pending()
            except Exception:  # keep the kiosk's printing alive; the error is logged
                log.exception("print loop error")
            self._stop.wait(interval_s)

    def stop(self) -> None:
        """Stop the background thread and close the printers."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for printer in self.printers.values():
            printer.close()


def _codes(status: PrinterStatus) -> str:
    return ",".join(sorted(f.value for f in status.faults)) or "ok"
