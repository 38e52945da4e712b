"""The diner's journey: a state machine over the step controllers, language, idle reset.

idle -> identify -> menu <-> detail / set_meal -> cart -> done -> feedback -> idle.
Every public method catches the diner-facing refusals and puts ONE bilingual message in
``state.message`` (mapped in messages.py); the screens never see a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from edge_agent.errors import EdgeError
from kiosk.controllers.cart import CartController, CheckoutResult
from kiosk.controllers.context import Services, Session
from kiosk.controllers.detail import DetailController, SetMealController
from kiosk.controllers.done import DoneController
from kiosk.controllers.face import FaceController
from kiosk.controllers.face_steps import FaceSteps
from kiosk.controllers.identify import (
    CardIdentifier,
    GuestIdentifier,
    Identifier,
    Identity,
    QrIdentifier,
)
from kiosk.controllers.idle import IdleTimer
from kiosk.controllers.menu import Filters, MenuController
from kiosk.controllers.messages import message_for
from kiosk.controllers.observable import Observable
from kiosk.controllers.steps import StepActions
from kiosk.controllers.views import MemberView, PeriodView, member_view
from kiosk.i18n import LANGUAGES, Lang, Text, _
from kiosk.services import offers
from kiosk.services.bookings import BookingDesk, BookingView, is_booking_code
from kiosk.services.devices import DeviceEvent
from kiosk.services.errors import KioskError, NoMenu
from kiosk.services.face import FaceService
from kiosk.services.member_messages import screen_greetings
from kiosk.services.ordering import new_checkout_id
from kiosk.services.receipts import DISABLED
from protocol.member_cache import CachedMember
from rules.errors import RulesError

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_RECEIPT = _("No receipt is printed at this kiosk. Please remember your order number.")
"""The done screen's receipt line while the hub's printer_enabled switch is off."""


class Step(StrEnum):
    """Screens of the diner journey."""

    IDLE = "idle"
    IDENTIFY = "identify"
    MENU = "menu"
    DETAIL = "detail"
    SET_MEAL = "set_meal"
    CART = "cart"
    DONE = "done"
    FEEDBACK = "feedback"
    FACE = "face"  # face-ID: find, turn the head, confirm (kiosk.controllers.face)
    FACE_ENROL = "face_enrol"  # face-ID enrolment: QR/card, consent, capture


CAMERA_STEPS = frozenset({Step.IDENTIFY, Step.CART, Step.FACE_ENROL})


@dataclass(frozen=True)
class JourneyState:
    """The frame every screen shows: step, language, large text, banners, greeting, message."""

    step: Step = Step.IDLE
    lang: Lang = "zh_Hans"
    large_text: bool = False
    offline: bool = False
    canteen_name: Text = field(default_factory=lambda: Text("食堂", "Canteen"))
    period: PeriodView | None = None
    promotions: tuple[Text, ...] = ()
    member: MemberView | None = None
    guest: bool = False
    message: Text | None = None
    catalog_version: int | None = None
    # A pre-booking of this meal the identified member may pick up (kiosk.services.bookings).
    booking: BookingView | None = None
    # The hub's card_reader_enabled switch: False, the identify screen offers no card tap.
    cards: bool = True


class JourneyController(FaceSteps, StepActions, Observable[JourneyState]):
    """Owns the session and the step controllers; the only entry point for the diner screens."""

    def __init__(self, services: Services) -> None:
        """Start at idle, in the configured default language."""
        cfg = services.config
        self._config_promotions = tuple(
            Text(zh, en) for zh, en in zip(cfg.promotions_zh, cfg.promotions_en, strict=False))
        super().__init__(JourneyState(
            lang=cfg.default_language, large_text=cfg.large_text,
            canteen_name=Text(cfg.canteen_name_zh, cfg.canteen_name_en),
            promotions=self._config_promotions,
        ))
        self.s = services
        self.session = Session()
        self.idle = IdleTimer(cfg.idle_seconds)
        self.identifiers: dict[str, Identifier] = {
            "qr": QrIdentifier(services.members),
            "card": CardIdentifier(services.members),
            "guest": GuestIdentifier(),
        }
        self.menu = MenuController(services, self.session)
        self.detail = DetailController(services, self.session)
        self.set_meal = SetMealController(services, self.session)
        self.cart = CartController(services, self.session)
        self.done = DoneController(services)
        self.last_checkout: CheckoutResult | None = None
        self.face = FaceController(self, FaceService(services.store, services.members.site_key))
        self.bookings = BookingDesk(services.store, services.catalog, services.clock)
        self._refresh_frame(self.s.clock.now())

    # ---- plumbing -------------------------------------------------------------------------

    def _guard(self, action: Callable[[], T]) -> T | None:
        """Run a diner action; a refusal becomes ``state.message`` and returns None."""
        try:
            result = action()
        except (KioskError, RulesError, EdgeError) as err:
            log.info("refused: %r", err)
            self._update(message=message_for(err))
            return None
        return result

    def _touch(self) -> datetime:
        now = self.s.clock.now()
        self.idle.touched(now)
        return now

    def _refresh_frame(self, now: datetime) -> None:
        cat = self.s.catalog
        period = cat.meal_period(now)
        view = None
        shown = period or cat.next_meal_period(now)
        if shown is not None:
            view = PeriodView(shown.code, Text(shown.name_zh, shown.name_en), shown.start,
                              shown.end, period is not None)
        promos = self._config_promotions + offers.promotion_texts(cat.snapshot, now)
        self._update(period=view, offline=not self.s.connectivity.online(),
                     catalog_version=cat.version, promotions=promos)

    def _update(self, **changes: Any) -> None:
        before = self.state.step
        super()._update(**changes)
        if self.state.step is not before:
            self._camera_for(self.state.step)
            self._mark_session(self.state.step)

    def _mark_session(self, step: Step) -> None:
        """Tell the agent whether a diner is mid-order: it holds updates until idle (fleet)."""
        try:
            self.s.store.set_hardware_status(
                "session", "idle" if step is Step.IDLE else f"busy@{time.time():.0f}")
        except EdgeError as err:  # a hint for the agent; the diner is never stopped by it
            log.warning("session state not stored: %s", err)

    def _camera_for(self, step: Step) -> None:
        """The camera looks for codes only on identify (member codes) and cart (coupons)."""
        events = self.s.events
        if events is not None:
            events.scan_with_camera(step in CAMERA_STEPS)

    def _member_view(self, member: CachedMember, ask_feedback_for: str | None = None
                     ) -> MemberView:
        snap = self.s.catalog.snapshot
        diet = Filters.from_profile(member).labels()
        now = self.s.clock.now()
        return member_view(member, offers.tier_name(snap, member.tier), ask_feedback_for,
                           offers=offers.promotion_texts(snap, now), diet=diet,
                           greetings=screen_greetings(member, now))

    # ---- frame: language, text size, clock -------------------------------------------------

    def set_language(self, lang: str) -> None:
        """Switch 中文 / English (on every screen)."""
        if lang in LANGUAGES and lang in self.s.config.languages:
            self._touch()
            self._update(lang=lang)

    def set_large_text(self, on: bool) -> None:
        """Large-text mode."""
        self._touch()
        self._update(large_text=on)

    def dismiss_message(self) -> None:
        """The diner closed the message."""
        self._update(message=None)

    def touched(self, now: datetime | None = None) -> None:
        """Any touch on any screen keeps the session alive."""
        self.idle.touched(now or self.s.clock.now())

    def tick(self, now: datetime | None = None) -> None:
        """Called every second or so: idle reset, offline banner, live catalog (sold out)."""
        now = now or self.s.clock.now()
        if self.state.step is not Step.IDLE and self.idle.expired(now):
            log.info("idle for %s: session forgotten", self.idle.timeout)
            self.reset()
            return
        if self.menu.catalog_changed() and self.state.step is Step.CART:
            self.cart.refresh()
        self._refresh_frame(now)

    def reset(self) -> None:
        """Back to attract; forget the diner, the cart and every screen's state (privacy)."""
        self.session.__init__()  # type: ignore[misc]
        self.face.clear()  # no face data outlives the diner
        self.idle.stop()
        self.done.clear()
        self.menu._set(type(self.menu.state)())
        self.detail._set(type(self.detail.state)())
        self.set_meal._set(type(self.set_meal.state)())
        self.cart._set(type(self.cart.state)())
        self._update(step=Step.IDLE, member=None, guest=False, message=None, booking=None,
                     lang=self.s.config.default_language, large_text=self.s.config.large_text)
        self._refresh_frame(self.s.clock.now())

    # ---- identify -------------------------------------------------------------------------

    def start(self) -> None:
        """Touch to start: the identify screen."""
        now = self._touch()
        self._refresh_frame(now)
        self._update(step=Step.IDENTIFY, message=None)

    def identify(self, method: str, raw: str = "") -> bool:
        """Identify by ``qr``, ``card`` or ``guest``; True when the menu opens."""
        self._touch()
        identifier = self.identifiers.get(method)
        if identifier is None:
            return False
        identity = self._guard(lambda: identifier.identify(raw))
        if identity is None:
            return False
        return self._enter_menu(identity)

    def on_device_event(self, event: DeviceEvent) -> None:
        """A card tap or scanned code (call on the UI thread): identify, or a coupon at the cart."""
        if self.state.step is Step.CART and event.kind == "code":
            self.scan_coupon(event.value)
            return
        if self.state.step is Step.FACE_ENROL:
            self.face_enrol_device_event(event)
            return
        if self.state.step is Step.FACE:  # QR/card still work on the face screen
            self.face.clear()
            self._update(step=Step.IDENTIFY)
        if event.kind == "code" and is_booking_code(event.value) \
                and self.state.step in (Step.IDLE, Step.IDENTIFY, Step.MENU):
            if self.state.step is Step.IDLE:
                self.start()
            self.pick_up_booking(event.value)
            return
        if self.state.step in (Step.IDLE, Step.IDENTIFY):
            if self.state.step is Step.IDLE:
                self.start()
            self.identify("card" if event.kind == "card" else "qr", event.value)

    def _enter_menu(self, identity: Identity) -> bool:
        now = self.s.clock.now()
        self.s.catalog.refresh()
        period = self.s.catalog.meal_period(now)
        if period is None:
            self._update(message=message_for(NoMenu("closed")))
            return False
        member = identity.member
        self.session.member = member
        self.session.guest = member is None
        self.session.period = period
        greeting = None
        if member is not None:
            previous = self.s.history.last_unrated_order(member.member_id)
            self.session.previous_order_id = previous.order_id if previous else None
            greeting = self._member_view(member, self.session.previous_order_id)
        # a member's consented profile pre-sets the filters; they can switch them off
        self.menu.load(Filters.from_profile(member) if member is not None else Filters())
        booking = None
        if member is not None:
            waiting = self._guard(lambda: self.bookings.open_for(member.member_id, period.code))
            booking = waiting[0] if waiting else None
        self._update(step=Step.MENU, member=greeting, guest=member is None, message=None,
                     booking=booking)
        return True

    # ---- pre-booking pick-up ----------------------------------------------------------------

    def pick_up_booking(self, code: str | None = None) -> bool:
        """Hand over a pre-booked meal: the member's booking offered on the menu (no
        ``code``), or the booking of a scanned pick-up QR. The booked dishes go to the
        kitchen as an order paid by the booking; True when the order number shows."""
        self._touch()
        booking_id = code if code is not None else (
            self.state.booking.booking_id if self.state.booking is not None else None)
        if booking_id is None:
            return False
        period = self.s.catalog.meal_period(self.s.clock.now())
        booking = self._guard(lambda: self.bookings.find(
            booking_id, period.code if period is not None else None))
        if booking is None:
            return False
        if self.session.checkout_id is None:
            self.session.checkout_id = new_checkout_id()
        order_id = self.session.checkout_id
        recorded = self._guard(lambda: self.bookings.pick_up(booking, order_id=order_id))
        if recorded is None:
            return False
        self.session.checkout_id = None
        self.session.last_order_id = recorded.order_id
        self.done.show_pickup(recorded, booking.member_id)
        self._update(step=Step.DONE, message=None, booking=None)
        return True

    def rate_previous_meal(self) -> None:
        """Open the feedback prompt for the member's previous meal."""
        self._touch()
        order_id = self.session.previous_order_id
        if order_id is None:
            return
        self.done.ask_about(order_id, self.session.member.member_id
                            if self.session.member else None)
        self._update(step=Step.FEEDBACK)

    # ---- menu, detail, set meal -----------------------------------------------------------

    def set_filters(self, **switches: Any) -> None:
        """Dietary switches on the menu."""
        self._touch()
        self._guard(lambda: self.menu.set_filters(**switches))

    def open_dish(self, dish_id: str) -> bool:
        """Dish detail; refused (message) when the dish is sold out."""
        self._touch()
        if self._guard(lambda: self.detail.open(dish_id)) is None and self.state.message:
            return False
        self._update(step=Step.DETAIL, message=None)
        return True

    def open_set_meal(self, set_meal_id: str) -> bool:
        """Set-meal builder."""
        self._touch()
        if self._guard(lambda: self.set_meal.open(set_meal_id)) is None and self.state.message:
            return False
        self._update(step=Step.SET_MEAL, message=None)
        return True

    def add_dish(self) -> bool:
        """Add the dish being viewed to the cart and go back to the menu.

        A weighed dish not weighed yet is weighed first (in the background); it goes in
        once the weight has settled.
        """
        self._touch()
        st = self.detail.state
        if st.dish is not None and st.dish.per_100g and not st.grams:
            self.weigh(then=self._add_dish)
            return self.state.step is Step.MENU  # at once when the work runs inline
        return self._add_dish()

    def _add_dish(self) -> bool:
        if self._guard(self.detail.add_to_cart) is None:
            return False
        self.session.checkout_id = None
        self._update(step=Step.MENU, message=None)
        return True

    def add_set_meal(self) -> bool:
        """Add the built set meal to the cart and go back to the menu."""
        self._touch()
        if self._guard(self._add_set_meal) is None:
            return False
        self.session.checkout_id = None
        self._update(step=Step.MENU, message=None)
        return True

    def _add_set_meal(self) -> bool:
        self.set_meal.add_to_cart()
        return True

    def back_to_menu(self) -> None:
        """Leave detail, set meal or cart."""
        self._touch()
        self._update(step=Step.MENU, message=None)

    # ---- cart, checkout, done, feedback ---------------------------------------------------

    def open_cart(self) -> None:
        """The cart with the engine's split."""
        self._touch()
        self.cart.refresh()
        self._update(step=Step.CART, message=None)

    def scan_coupon(self, raw: str) -> bool:
        """A coupon code scanned at the cart; False (with a message) when refused."""
        self._touch()
        if self._guard(lambda: self.cart.apply_coupon(raw)) is None:
            return False
        self._update(message=None)
        return True

    def remove_coupon(self) -> None:
        """Take the coupon off this order."""
        self._touch()
        self.cart.remove_coupon()

    def checkout(self) -> bool:
        """Confirm: record, show the order number at once, then print (in the background).

        False (with a message) if refused. The printer's outcome reaches the done screen
        later through ``DoneState.printing`` / ``printer_message``.
        """
        self._touch()
        result = self._guard(self.cart.checkout)
        if result is None:
            return False
        self.last_checkout = result
        printing = self.s.receipts.enabled  # the hub's printer_enabled switch
        self.done.show(result.placed,
                       self.session.member.member_id if self.session.member else None,
                       printing=printing)
        self.session.cart.clear()
        self.session.checkout_id = None
        self._update(step=Step.DONE, message=None)
        if printing:
            self._print_receipt(result)
        else:  # nothing queued: switching the printer on later must not print it
            self.last_checkout = replace(result, printed=DISABLED, printer_message=NO_RECEIPT)
            self.done.receipt_done(result.placed.recorded.order_id, NO_RECEIPT)
        return True

    def give_feedback(self) -> None:
        """Go from the order number to the feedback prompt."""
        self._touch()
        self._update(step=Step.FEEDBACK)

    def submit_feedback(self) -> bool:
        """Save the rating (optional: an empty one is simply not sent), then finish."""
        self._touch()
        sent = self._guard(self.done.submit)
        if self.session.previous_order_id == self.done.state.feedback_order_id and sent:
            self.session.previous_order_id = None
            if self.state.member is not None:
                self._update(member=None if self.session.member is None else
                             self._member_view(self.session.member))
        if self.state.step is Step.FEEDBACK and self.session.cart and self.session.period \
                and self.session.last_order_id is None:
            self._update(step=Step.MENU)  # rated the previous meal: carry on ordering
            return bool(sent)
        self.finish()
        return bool(sent)

    def finish(self) -> None:
        """Done: back to attract, forgetting the diner."""
        self.reset()
