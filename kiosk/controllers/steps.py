"""The journey's public actions on the step controllers: what the screens may call.

Each action keeps the session alive and turns a refusal into the journey's one message
(``JourneyController._guard``); none of them changes the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from hardware.scale import Weight
from kiosk.controllers.background import Background, Inline
from kiosk.controllers.cart import CartController, CheckoutResult
from kiosk.controllers.context import Services, Session
from kiosk.controllers.detail import DetailController, SetMealController
from kiosk.controllers.done import DoneController
from kiosk.controllers.menu import Filters, MenuController
from kiosk.controllers.messages import message_for
from kiosk.services.errors import KioskError
from kiosk.services.receipts import PrintResult

T = TypeVar("T")


class StepActions:
    """Mixed into JourneyController: detail, set meal, cart and feedback actions."""

    s: Services
    session: Session
    menu: MenuController
    detail: DetailController
    set_meal: SetMealController
    cart: CartController
    done: DoneController
    last_checkout: CheckoutResult | None
    background: Background = Inline()

    if TYPE_CHECKING:  # provided by JourneyController

        def _guard(self, action: Callable[[], T]) -> T | None: ...

        def _touch(self) -> datetime: ...

        def _update(self, **changes: Any) -> None: ...

    def use_background(self, background: Background) -> None:
        """Where slow work (scale, printer) runs; the UI gives a thread + main-thread callback."""
        self.background = background

    # ---- menu ------------------------------------------------------------------------------

    def my_allergens(self) -> frozenset[str]:
        """The allergens in the identified member's profile (empty for guests)."""
        member = self.session.member
        return Filters.from_profile(member).hide_allergens if member is not None else frozenset()

    def toggle_hide_allergens(self) -> None:
        """Switch "hide my allergens" (the member profile's allergens) on or off."""
        self._touch()
        on = bool(self.menu.state.filters.hide_allergens)
        mine = frozenset() if on else self.my_allergens()
        self._guard(lambda: self.menu.set_filters(hide_allergens=mine))

    def toggle_filter(self, code: str) -> None:
        """Flip one dietary switch (halal, vegetarian, vegan, no_spice, hide_allergens)."""
        if code == "hide_allergens":
            self.toggle_hide_allergens()
            return
        self._touch()
        on = bool(getattr(self.menu.state.filters, code))
        self._guard(lambda: self.menu.set_filters(**{code: not on}))

    # ---- dish detail -----------------------------------------------------------------------

    def choose_option(self, group: str, choice: str) -> None:
        """Select one choice of an option group of the dish being viewed."""
        self._touch()
        self._guard(lambda: self.detail.choose(group, choice))

    def set_quantity(self, qty: int) -> None:
        """Quantity of the dish being viewed (1..99)."""
        self._touch()
        self._guard(lambda: self.detail.set_qty(qty))

    def change_quantity(self, delta: int) -> None:
        """One more (+1) or one fewer (-1) of the dish being viewed."""
        self.set_quantity(self.detail.state.qty + delta)

    def set_note(self, note: str) -> None:
        """The note for the kitchen on the dish being viewed."""
        self._touch()
        self._guard(lambda: self.detail.set_note(note))

    def live_weight(self) -> Weight | None:
        """The scale's last reading, without waiting (None: no scale, nothing read)."""
        return self.s.scale.latest()

    def weigh(self, then: Callable[[], object] | None = None) -> None:
        """Read a settled weight (in the background); ``then`` runs once it priced the plate."""
        self._touch()
        card = self.detail.state.dish
        if card is None or self.detail.state.weighing:
            return
        self.detail.set_weighing(True)
        self.background.submit("scale", self._read_weight,
                               lambda outcome: self._weighed(card.dish_id, outcome, then))

    def _read_weight(self) -> int | KioskError:
        try:
            return self.s.scale.stable_grams()
        except KioskError as err:
            return err

    def _weighed(self, dish_id: str, outcome: int | KioskError,
                 then: Callable[[], object] | None) -> None:
        card = self.detail.state.dish
        if card is None or card.dish_id != dish_id:
            return  # the diner left the dish meanwhile
        if isinstance(outcome, KioskError):
            self.detail.set_weighing(False)
            self._update(message=message_for(outcome))
            return
        self.detail.set_grams(outcome)
        if then is not None:
            then()

    # ---- set meal --------------------------------------------------------------------------

    def pick_slot(self, slot: str, dish_id: str) -> None:
        """Put a dish in a slot of the set meal being built."""
        self._touch()
        self._guard(lambda: self.set_meal.pick(slot, dish_id))

    def unpick_slot(self, slot: str, dish_id: str) -> None:
        """Take a dish out of a slot again."""
        self._touch()
        self._guard(lambda: self.set_meal.unpick(slot, dish_id))

    # ---- cart ------------------------------------------------------------------------------

    def set_line_quantity(self, line_id: str, qty: int) -> None:
        """A cart line's new quantity; 0 removes it (a set meal's line: the whole set)."""
        self._touch()
        self._guard(lambda: self.cart.set_qty(line_id, qty))

    def use_points(self, on: bool) -> None:
        """Pay with points or not (members)."""
        self._touch()
        self._guard(lambda: self.cart.toggle_points(on))

    def _print_receipt(self, result: CheckoutResult) -> None:
        order_id = result.placed.recorded.order_id
        receipt = result.receipt
        job_id = self.cart.queue_receipt(receipt)  # durable before the done screen shows
        self.background.submit("receipt", lambda: self.cart.print_receipt(receipt, job_id),
                               lambda printed: self._receipt_printed(order_id, printed))

    def _receipt_printed(self, order_id: str, printed: PrintResult) -> None:
        message = self.cart.printed(printed)
        last = self.last_checkout
        if last is not None and last.placed.recorded.order_id == order_id:
            self.last_checkout = replace(last, printed=printed, printer_message=message)
        if self.done.receipt_done(order_id, message) and message is not None:
            self._update(message=message)

    # ---- feedback --------------------------------------------------------------------------

    def rate(self, score: int) -> None:
        """Choose a face (1-5)."""
        self._touch()
        self._guard(lambda: self.done.rate(score))

    def toggle_tag(self, code: str) -> None:
        """Tick or untick a quick feedback tag."""
        self._touch()
        self._guard(lambda: self.done.toggle_tag(code))

    def rate_dish(self, dish_id: str, score: int) -> None:
        """Rate one dish of the order (1-5)."""
        self._touch()
        self._guard(lambda: self.done.rate_dish(dish_id, score))
