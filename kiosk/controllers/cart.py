"""Cart step: lines, the engine's payment split line by line, checkout, receipt."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from edge_agent.errors import EdgeError
from hardware.printer.receipt import Receipt
from hardware.printer.status import PrinterFault
from kiosk.controllers.context import Services, Session
from kiosk.controllers.messages import message_for, printer_message
from kiosk.controllers.observable import Observable
from kiosk.i18n import Text
from kiosk.services.cart import CartLine
from kiosk.services.coupons import ScannedCoupon
from kiosk.services.errors import CartEmpty, NotConfigured, SoldOutInCart
from kiosk.services.ordering import Placed, new_checkout_id
from kiosk.services.receipts import PrintResult, build_receipt
from protocol.member_cache import CachedMember
from rules.errors import CouponError, PricingError
from rules.money import format_cents
from rules.order import Coupon
from rules.results import PricedLine, PricedOrder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CartLineView:
    """One cart line: names, quantity or weight, list and net amounts, sold-out mark.

    A set meal is ONE line: ``line_id`` is its set key, ``name`` and ``set_meal`` its name,
    the amounts the whole set's, ``items`` its chosen dishes.
    """

    line_id: str
    dish_id: str
    name: Text
    qty: int
    grams: int | None
    options: tuple[Text, ...]
    set_meal: Text | None
    list_text: str
    net_text: str
    sold_out: bool
    items: tuple[Text, ...] = ()
    note: Text | None = None


@dataclass(frozen=True)
class AmountRow:
    """A discount or a payment row of the split (label from the engine, amount formatted)."""

    code: str
    label: Text
    amount_cents: int
    amount_text: str


@dataclass(frozen=True)
class CartState:
    """What the cart screen shows; ``error`` is the message for a refused quote/checkout."""

    lines: tuple[CartLineView, ...] = ()
    subtotal_text: str = ""
    discounts: tuple[AmountRow, ...] = ()
    total_text: str = ""
    payments: tuple[AmountRow, ...] = ()
    counter_due_text: str = ""
    paid_in_full: bool = False
    points_earned: int = 0
    use_points: bool = False
    offline: bool = False
    can_checkout: bool = False
    error: Text | None = None
    coupon: Text | None = None  # the scanned coupon's name
    coupon_text: str = ""  # what it pays on this order ("" when it pays nothing)
    coupon_note: Text | None = None  # why it does not apply to the cart as it is now
    notes: tuple[Text | None, ...] = ()  # kitchen note per line, in line order
    offline_limit_text: str = ""  # offline, stored value is capped at this ("" when not capped)


@dataclass(frozen=True)
class CheckoutResult:
    """A placed order and the receipt to print for it (printing happens after, elsewhere)."""

    placed: Placed
    receipt: Receipt
    printed: PrintResult | None = None  # None while the receipt is still printing
    printer_message: Text | None = None


class CartController(Observable[CartState]):
    """Shows the cart priced by rules.price_order and places the order."""

    def __init__(self, services: Services, session: Session) -> None:
        """Empty cart."""
        super().__init__(CartState())
        self.s = services
        self.session = session
        self._sold_out: frozenset[str] = frozenset()

    def refresh(self) -> PricedOrder | None:
        """Re-price the cart (after every edit, on the offline flag changing)."""
        cart = self.session.cart
        online = self.s.connectivity.online()
        period = self.session.period
        gone = self.s.orders.sold_out_lines(cart, period.code if period else None)
        self._sold_out = frozenset(ln.line_id for ln in gone)
        priced: PricedOrder | None = None
        error: Text | None = None
        if not len(cart):
            self._set(CartState(offline=not online, error=None))
            return None
        coupon, coupon_note = self._usable_coupon()
        try:
            priced = self.s.orders.quote(cart, self.session.member,
                                         use_points=self.session.use_points, coupon=coupon)
        except PricingError as err:
            error = message_for(err)
        if gone and error is None:
            error = message_for(SoldOutInCart(tuple(self._sold_out),
                                              tuple(f"{ln.name_zh} {ln.name_en}" for ln in gone)))
        view = self._view(priced, error, online)
        scanned = self.session.coupon
        if scanned is not None:
            value = priced.coupon_value_cents if priced and priced.coupon_used else 0
            view = replace(view, coupon=scanned.name, coupon_note=coupon_note,
                           coupon_text=format_cents(value) if value else "")
        self._set(view)
        return priced

    def _usable_coupon(self) -> tuple[Coupon | None, Text | None]:
        """The scanned coupon if the engine accepts it on this cart, else why not."""
        scanned = self.session.coupon
        if scanned is None or not len(self.session.cart):
            return None, None
        try:
            self.s.orders.quote(self.session.cart, self.session.member, coupon=scanned.coupon)
        except CouponError as err:
            return None, message_for(err)
        except PricingError:
            pass  # not the coupon's fault (funds...): the full quote reports it
        return scanned.coupon, None

    def apply_coupon(self, raw: str) -> ScannedCoupon:
        """Scan a coupon code at checkout; refused (nothing kept) when it cannot pay this order."""
        if self.s.coupons is None:
            raise NotConfigured("coupons")
        scanned = self.s.coupons.read(raw, self.session.member)
        if len(self.session.cart):
            # not applicable / below minimum spend / not valid now: the engine's own refusal
            self.s.orders.quote(self.session.cart, self.session.member, coupon=scanned.coupon)
        self.session.coupon = scanned
        self.session.checkout_id = None
        self.refresh()
        return scanned

    def remove_coupon(self) -> None:
        """Keep the coupon for another day."""
        self.session.coupon = None
        self.session.checkout_id = None
        self.refresh()

    def _view(self, priced: PricedOrder | None, error: Text | None, online: bool) -> CartState:
        cart = self.session.cart
        nets = {p.line_id: p for p in priced.lines} if priced else {}
        lines: list[CartLineView] = []
        for ln in cart.lines.values():
            if ln.set_key is None:
                lines.append(self._dish_view(ln, nets.get(ln.line_id)))
            elif ln.line_id == cart.sets[ln.set_key].picks[0][1]:
                lines.append(self._set_view(ln.set_key, nets))
        notes = tuple(v.note for v in lines)
        limit = offline_limit(self.session.member, online)
        if priced is None:
            return CartState(lines=tuple(lines), use_points=self.session.use_points,
                             offline=not online, error=error, notes=notes,
                             offline_limit_text=limit)
        return CartState(
            lines=tuple(lines),
            notes=notes,
            subtotal_text=format_cents(priced.subtotal_cents),
            discounts=tuple(AmountRow(d.kind, Text(d.reason.zh, d.reason.en), d.amount_cents,
                                      format_cents(d.amount_cents)) for d in priced.discounts),
            total_text=format_cents(priced.total_cents),
            payments=tuple(AmountRow(p.source.value, Text(p.label.zh, p.label.en),
                                     p.amount_cents, format_cents(p.amount_cents))
                           for p in priced.payments),
            counter_due_text=format_cents(priced.counter_due_cents),
            paid_in_full=priced.paid_in_full,
            points_earned=priced.points_earned,
            use_points=self.session.use_points,
            offline=not online,
            can_checkout=error is None,
            error=error,
            offline_limit_text=limit,
        )

    def _dish_view(self, ln: CartLine, p: PricedLine | None) -> CartLineView:
        return CartLineView(
            ln.line_id, ln.dish_id, Text(ln.name_zh, ln.name_en), ln.qty, ln.grams,
            tuple(Text(o.name_zh, o.name_en) for o in ln.options), None,
            format_cents(p.list_cents) if p else "", format_cents(p.net_cents) if p else "",
            ln.line_id in self._sold_out, note=Text(ln.note, ln.note) if ln.note else None,
        )

    def _set_view(self, key: str, nets: dict[str, PricedLine]) -> CartLineView:
        """The whole set meal as one line: its name, its price, its dishes as sub-lines."""
        cart = self.session.cart
        entry = cart.sets[key]
        parts = cart.set_lines(key)
        priced = [nets[ln.line_id] for ln in parts if ln.line_id in nets]
        complete = len(priced) == len(parts)
        items = tuple(
            Text(" ".join([ln.name_zh, *(o.name_zh for o in ln.options)]),
                 " ".join([ln.name_en, *(o.name_en for o in ln.options)])) for ln in parts)
        name = Text(entry.name_zh, entry.name_en)
        return CartLineView(
            key, entry.offer_code, name, 1, None, (), name,
            format_cents(sum(p.list_cents for p in priced)) if complete else "",
            format_cents(sum(p.net_cents for p in priced)) if complete else "",
            any(ln.line_id in self._sold_out for ln in parts), items=items,
        )

    def set_qty(self, line_id: str, qty: int) -> None:
        """Change a line's quantity (0 removes it; a set meal's line only comes off whole)."""
        cart = self.session.cart
        if line_id in cart.sets:
            if qty <= 0:
                cart.remove_set(line_id)
        elif line_id in cart.lines:
            cart.set_qty(line_id, qty)
        self.session.checkout_id = None  # a different cart is a different order
        self.refresh()

    def remove(self, line_id: str) -> None:
        """Remove a line (a whole set meal for a set-meal line or a set key)."""
        cart = self.session.cart
        if line_id in cart.sets:
            cart.remove_set(line_id)
        else:
            cart.remove(line_id)
        self.session.checkout_id = None
        self.refresh()

    def toggle_points(self, use: bool) -> None:
        """Pay with points or not (members)."""
        self.session.use_points = use and self.session.member is not None
        self.session.checkout_id = None
        self.refresh()

    def checkout(self) -> CheckoutResult:
        """Place the order (store + outbox, one transaction) and build its receipt.

        Raises a KioskError or PricingError with nothing written; sold-out lines get marked.
        Printing is separate (``print_receipt``, slow): the order stands whatever the printer.
        """
        cart = self.session.cart
        period = self.session.period
        if not len(cart):
            raise CartEmpty("empty")
        if period is None:
            from kiosk.services.errors import NoMenu
            raise NoMenu("no meal period")
        if self.session.checkout_id is None:
            self.session.checkout_id = new_checkout_id()
        coupon, _note = self._usable_coupon()
        if coupon is not None and self.s.coupons is not None and self.session.coupon:
            self.s.coupons.check_unused(self.session.coupon)
        try:
            placed = self.s.orders.place(cart, self.session.member, period=period.code,
                                         order_id=self.session.checkout_id,
                                         use_points=self.session.use_points, coupon=coupon)
        except SoldOutInCart as err:
            self._sold_out = frozenset(err.line_ids)
            self.refresh()
            raise
        if coupon is not None and placed.priced.coupon_used:
            self.session.coupon = None  # spent: the hub redeems it from the order's payments
        cfg = self.s.config
        receipt = build_receipt(placed, cart, self.session.member,
                                canteen_name=f"{cfg.canteen_name_zh} {cfg.canteen_name_en}",
                                timezone=cfg.timezone)
        self.session.last_order_id = placed.recorded.order_id
        return CheckoutResult(placed, receipt)

    def queue_receipt(self, receipt: Receipt) -> int | None:
        """Put the receipt in the durable print queue (fast, in the confirm step)."""
        try:
            return self.s.receipts.queue(receipt)
        except Exception:  # a broken queue file must never lose or block the order
            log.exception("queueing the receipt of %s failed", receipt.order_id)
            return None

    def print_receipt(self, receipt: Receipt, job_id: int | None = None) -> PrintResult:
        """Print the queued receipt (slow: called off the UI thread); never raises."""
        try:
            if job_id is None:
                return self.s.receipts.print_receipt(receipt)
            return self.s.receipts.print_job(job_id)
        except Exception:  # a broken printer must never lose or block the order
            log.exception("printing %s failed", receipt.order_id)
            return PrintResult(False, (PrinterFault.UNRECOVERABLE,))

    def printed(self, result: PrintResult) -> Text | None:
        """Note the printer's state; the diner's message for a fault (None: printed)."""
        if result.faults:
            try:
                self.s.store.set_hardware_status("printer",
                                                 ",".join(f.value for f in result.faults))
            except EdgeError as err:  # the status is a hint for staff; the diner is told anyway
                log.warning("printer status not stored: %s", err)
        return None if result.printed else printer_message(result.faults)


def offline_limit(member: CachedMember | None, online: bool) -> str:
    """The offline cap on stored value when it binds ("" online, for guests, or under it)."""
    if online or member is None:
        return ""
    stored = member.balance_cents + member.bonus_cents
    return format_cents(member.offline_limit_cents) if member.offline_limit_cents < stored else ""
