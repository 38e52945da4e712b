"""Receipts: the recorded order becomes a hardware Receipt in the durable print queue."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from hardware.printer.receipt import Balances, Modifier, Payment, Receipt, ReceiptLine
from hardware.printer.service import ReceiptPrinting
from hardware.printer.status import PrinterFault
from kiosk.services.cart import Cart
from kiosk.services.member_messages import receipt_lines
from kiosk.services.ordering import Placed
from protocol.member_cache import CachedMember
from rules.money import format_cents
from rules.results import PaymentSource, PricedOrder

log = logging.getLogger(__name__)

TEST_PAGE_PREFIX = "test-page-"
"""Print-job key of a printer test page (a remote command): never reprinted as a receipt."""


@dataclass(frozen=True)
class PrintResult:
    """What became of a receipt: ``printed``, queued with the printer's faults, or not
    printed at all because the printer is switched off by the hub's settings (``disabled``)."""

    printed: bool
    faults: tuple[PrinterFault, ...] = ()
    disabled: bool = False


DISABLED = PrintResult(False, disabled=True)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _discount_label(priced: PricedOrder, line_id: str) -> tuple[str, str]:
    """The reasons of the discounts that touched this line ("会员价", "满减"...)."""
    reasons = [d.reason for d in priced.discounts if line_id in d.line_ids]
    if not reasons:
        return "优惠", "Discount"
    zh = "、".join(dict.fromkeys(r.zh for r in reasons))
    en = ", ".join(dict.fromkeys(r.en for r in reasons))
    return _cut(zh, 40), _cut(en, 60)


def build_receipt(placed: Placed, cart: Cart, member: CachedMember | None, *,
                  canteen_name: str, timezone: str) -> Receipt:
    """The receipt of a placed order: each line at list price, its discount on its own line.

    Line totals after discounts add up to the order total, and the payment parts to the
    same, exactly as the engine split it (the coupon is a payment, not a line discount).
    """
    priced = placed.priced
    nets = {p.line_id: p for p in priced.lines}
    lines = []
    for line in cart.lines.values():
        p = nets[line.line_id]
        rules_line = line.rules_line()
        mods = tuple(Modifier(name_zh=_cut(o.name_zh, 40), name_en=_cut(o.name_en, 60),
                              price_cents=o.price_delta_cents)
                     for o in line.options)
        zh, en = _discount_label(priced, line.line_id)
        weighed = line.grams is not None
        lines.append(ReceiptLine(
            name_zh=_cut(line.name_zh, 40), name_en=_cut(line.name_en, 60),
            qty=line.qty,
            # weighed: the plate's amount (rounded once, as the engine did) before modifiers
            unit_price_cents=(p.list_cents - rules_line.modifier_cents) if weighed
            else line.unit_price_cents,
            modifiers=mods, weight_g=line.grams,
            per_100g_cents=line.unit_price_cents if weighed else None,
            discount_cents=p.list_cents - p.net_cents, discount_zh=zh, discount_en=en,
        ))
    paid = priced.paid_by
    payment = Payment(
        subsidy_cents=paid(PaymentSource.SUBSIDY),
        coupon_cents=paid(PaymentSource.COUPON),
        points_used=priced.points_used,
        points_cents=paid(PaymentSource.POINTS),
        stored_value_cents=paid(PaymentSource.STORED_VALUE_PAID)
        + paid(PaymentSource.STORED_VALUE_BONUS),
        other_cents=priced.counter_due_cents,
        other_method="柜台付款 Counter" if priced.counter_due_cents else "",
    )
    balances = Balances()
    if member is not None:
        # balances as the cache knew them minus this order; the hub's ledger is authoritative
        balances = Balances(
            stored_value_cents=member.balance_cents + member.bonus_cents
            - payment.stored_value_cents,
            subsidy_cents=member.subsidy_cents - payment.subsidy_cents,
            points=member.points - priced.points_used,
        )
    rec = placed.recorded
    return Receipt(
        canteen_name=_cut(canteen_name, 60), order_no=rec.order_no, order_id=rec.order_id,
        created_at=rec.placed_at, timezone=timezone, lines=tuple(lines), payment=payment,
        balances=balances, member_name=_cut(member.display_name, 40) if member else "",
        qr_payload=rec.order_id,
        notes=tuple(_cut(f"{t.zh} {t.en}", 200)
                    for t in receipt_lines(member, rec.placed_at)),
    )


class ReceiptService:
    """Queues receipts (printed once per order id) and tries to print them now.

    ``enabled`` is the hub's ``printer_enabled`` switch (``kiosk.controllers.remote``). While
    it is off nothing is queued or printed: a receipt is not kept to print when the printer
    is switched on again (the diner left long ago, and a pile of old receipts would come
    out at once). What a fault left in the queue before the switch waits, as after any
    fault, and prints once when the printer is on and works (the queue is keyed on the
    order id, so never twice).
    """

    def __init__(self, printing: ReceiptPrinting | None) -> None:
        """``printing`` is None on a kiosk without a receipt printer."""
        self.printing = printing
        self.enabled = True
        self._lock = threading.Lock()  # print jobs run on worker threads, one at a time
        if printing is not None:
            printing.money = format_cents  # one money format: rules'

    def queue(self, receipt: Receipt) -> int | None:
        """Put the receipt in the durable print queue (fast); its job id, None without a printer.

        Called in the confirm step, so a crash right after confirm still prints it on restart
        (``ReceiptPrinting.recover``); keyed on the order id, so it is queued once.
        """
        if self.printing is None or not self.enabled:
            return None
        with self._lock:
            return self.printing.queue.enqueue(receipt, job_key=receipt.order_id)

    def print_job(self, job_id: int | None) -> PrintResult:
        """Print pending jobs and say what became of ``job_id``; faults reported, not raised.

        Blocking (the printer is slow): the journey runs it off the UI thread.
        """
        if not self.enabled:
            return DISABLED  # a job queued just before the switch waits for it
        if self.printing is None or job_id is None:
            return PrintResult(False, (PrinterFault.DISCONNECTED,))
        with self._lock:
            return self._print(job_id)

    def flush(self) -> None:
        """Print what a crash or a printer fault left in the queue (at start, off the UI)."""
        if self.printing is None or not self.enabled:
            return
        with self._lock:
            try:
                self.printing.print_pending()
            except Exception as err:  # the kiosk must start whatever the printer does
                log.exception("printing the queued receipts failed: %s", err)

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        """Queue and print at once (scripts and the demo's diners)."""
        return self.print_job(self.queue(receipt))

    def reprint_last(self) -> tuple[str | None, PrintResult]:
        """Reprint the newest receipt (marked REPRINT); its order number and what became of it.

        (None, not printed) when nothing was printed yet; test pages are not receipts.
        Blocking, like ``print_job``.
        """
        if not self.enabled:
            return None, DISABLED
        if self.printing is None:
            return None, PrintResult(False, (PrinterFault.DISCONNECTED,))
        with self._lock:
            last = self.printing.queue.last_original(skip_key_prefix=TEST_PAGE_PREFIX)
            if last is None:
                return None, PrintResult(False)
            return last.receipt.order_no, self._print(self.printing.queue.reprint(last.id))

    def _print(self, job_id: int) -> PrintResult:
        assert self.printing is not None
        try:
            outcomes = self.printing.print_pending()
        except Exception as err:  # a broken printer must never lose or block the order
            log.exception("printing failed: %s", err)
            return PrintResult(False, (PrinterFault.UNRECOVERABLE,))
        if any(o.job_id == job_id and o.state == "done" for o in outcomes):
            return PrintResult(True)
        faults: set[PrinterFault] = set()
        for status in self.printing.last_status.values():
            faults |= {f for f in status.faults if f.blocks_printing}
        return PrintResult(False, tuple(sorted(faults, key=list(PrinterFault).index)))
