"""Fills the screens from controller state, always on Kivy's main thread.

Controllers notify listeners on whatever thread changed them; each listener only marks
its part dirty and pulls a ``Clock.create_trigger``, so a burst of changes (a filter that
rebuilds the menu, a tick) costs one redraw on the next frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread

from kiosk.controllers.journey import NO_RECEIPT
from kiosk.screens import present as p
from kiosk.screens.background import KivyBackground
from kiosk.screens.face import render_face
from kiosk.services.bookings import PAID_BY_BOOKING

log = logging.getLogger(__name__)

STEP_SCREENS = {"set_meal": "setmeal", "face_enrol": "face"}
PARTS = ("menu", "detail", "setmeal", "cart", "done", "face")
"""What the presenter draws besides the frame, one per controller."""
SCREEN_PARTS = {"menu": "menu", "detail": "detail", "setmeal": "setmeal", "cart": "cart",
                "done": "done", "feedback": "done", "face": "face"}
"""Which part a screen shows."""
"""Journey step -> screen name, where they differ."""

TICK_SECONDS = 1.0
WEIGHT_SECONDS = 0.25


def assign(widget: Any, name: str, value: Any) -> None:
    """Set a property only when the value differs (lists of rows compare by content)."""
    if getattr(widget, name) != value:
        setattr(widget, name, value)


class Presenter:
    """Subscribes to the journey and its step controllers; renders dirty parts per frame."""

    def __init__(self, root: Any, controllers: Any, services: Any) -> None:
        """``controllers`` is the JourneyController (or an object with ``.journey``)."""
        self.root = root
        self.journey = getattr(controllers, "journey", controllers)
        self.services = services
        self._dirty: set[str] = set()
        self._stale: set[str] = set()
        self._render_trigger = Clock.create_trigger(self._render, -1)
        self._unsubscribe: list[Callable[[], None]] = []
        self.category = ""
        self.slot = ""

    # ---- wiring ------------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe to every controller and start the clock ticks."""
        j = self.journey
        if j is None:
            return
        parts = {"frame": j, "menu": j.menu, "detail": j.detail, "setmeal": j.set_meal,
                 "cart": j.cart, "done": j.done, "face": j.face}
        for name, observable in parts.items():
            self._unsubscribe.append(observable.subscribe(self._marker(name)))
        self._dirty.update(parts)
        self._render_trigger()
        j.use_background(KivyBackground())  # scale and printer off the UI thread
        self._ticks = [Clock.schedule_interval(self._tick, TICK_SECONDS),
                       Clock.schedule_interval(self._weigh, WEIGHT_SECONDS)]
        events = self._events()
        if events is not None:
            events.listeners.append(self.device_event)

    def _events(self) -> Any:
        """The card reader / scanner / camera events of the journey's services (or None)."""
        return self.journey.s.events if self.journey is not None else None

    def stop(self) -> None:
        """Unsubscribe and stop the ticks."""
        events = self._events()
        if events is not None and self.device_event in events.listeners:
            events.listeners.remove(self.device_event)
        for undo in self._unsubscribe:
            undo()
        for ev in getattr(self, "_ticks", []):
            ev.cancel()

    def _marker(self, part: str) -> Callable[[Any], None]:
        def mark(_state: Any) -> None:
            self._dirty.add(part)
            self._render_trigger()  # thread-safe: the trigger runs on the next frame

        return mark

    @mainthread
    def device_event(self, event: Any) -> None:
        """A card tap or scanned code from a reader thread, handed over on the main thread."""
        self.journey.on_device_event(event)

    def _tick(self, _dt: float) -> None:
        self.journey.tick()

    def _weigh(self, _dt: float) -> None:
        screen = self.root.manager.current
        if screen in ("menu", "detail"):
            self.root.screen(screen).weight = self._weight_text()

    def _weight_text(self) -> str:
        latest = self.journey.live_weight()  # never waits: this runs on the UI thread
        if latest is None or latest.net_g <= 0:
            return ""
        return p.tr("Scale: {grams} g", self.lang, grams=latest.net_g) + \
            ("" if latest.stable else " …")

    # ---- diner actions the root and screens forward ----------------------------------------

    @property
    def lang(self) -> str:
        """The journey's language."""
        return str(self.journey.state.lang)

    def set_language(self, lang: str) -> None:
        """中文 / English."""
        self.journey.set_language(lang)

    def toggle_large_text(self) -> None:
        """Large text on / off."""
        self.journey.set_large_text(not self.journey.state.large_text)

    def start_over(self) -> None:
        """Forget the diner."""
        self.journey.reset()

    def touched(self) -> None:
        """Keep the session alive."""
        if self.journey is not None:
            self.journey.touched()

    def choose_category(self, code: str) -> None:
        """Show another category tab (screen state only)."""
        self.category = code
        self._dirty.add("menu")
        self._render_trigger()

    def choose_slot(self, code: str) -> None:
        """Show another slot of the set-meal builder (screen state only)."""
        self.slot = code
        self._dirty.add("setmeal")
        self._render_trigger()

    def toggle_note(self, code: str) -> None:
        """Add or take out one quick note for the kitchen."""
        self.journey.set_note(p.toggled_note(self.journey.detail.state.note, code))

    # ---- rendering ---------------------------------------------------------------------------

    def _render(self, _dt: float = 0.0) -> None:
        # Only the screen on display is drawn; the others are marked stale and drawn when
        # they are shown, so a reset or a language switch costs one screen, not eight.
        dirty, self._dirty = self._dirty, set()
        self._stale |= dirty & set(PARTS)
        if "frame" in dirty:
            self._stale |= set(PARTS)  # the language may have changed
            self._draw("frame")  # may switch screens, which draws the new one
        self.screen_shown(self.root.manager.current)

    def screen_shown(self, name: str) -> None:
        """Draw the part behind screen ``name`` if it changed while hidden."""
        part = SCREEN_PARTS.get(name)
        if part in self._stale:
            self._stale.discard(part)
            self._draw(part)

    def _draw(self, part: str) -> None:
        try:
            getattr(self, f"_render_{part}")()
        except Exception:  # a drawing bug must never show a traceback to the diner
            log.exception("rendering %s failed", part)

    def render_now(self) -> None:
        """Draw every screen at once (tests and benchmarks)."""
        self._dirty.add("frame")
        self._render()
        for part in PARTS:
            self._stale.discard(part)
            self._draw(part)

    def _render_frame(self) -> None:
        st = self.journey.state
        app = App.get_running_app()
        lang = st.lang
        if app.lang != lang:
            app.lang = lang
        app.theme.large_text = st.large_text
        app.offline = st.offline
        root = self.root
        root.canteen_name = st.canteen_name.in_lang(lang)
        root.offline_text = p.tr("Offline: you can still order; orders are sent when the "
                                 "network is back.", lang) if st.offline else ""
        name = STEP_SCREENS.get(str(st.step), str(st.step))
        if name != root.manager.current and name == "menu":
            self.category = ""
        root.show(name)
        message = p.both(st.message, lang)
        if name == "done":
            message = ""  # the done screen shows the printer's message itself
        if message != root.toast_text:
            if message:
                root.toast(message)
            else:
                root.toast_text = ""
        idle = root.screen("idle")
        idle.canteen_name = st.canteen_name.in_lang(lang)
        idle.period = p.period_line(st.period, lang)
        idle.promotions = "\n".join(t.in_lang(lang) for t in st.promotions)
        identify = root.screen("identify")
        identify.cards = st.cards
        identify.prompt = p.tr(
            "Show your member QR code to the camera, tap your card, or order as a guest", lang
        ) if st.cards else p.tr("Show your member QR code to the camera, or order as a guest",
                                lang)
        menu = root.screen("menu")
        menu.member_line = p.member_line(st.member, lang) if st.member else \
            (p.tr("Ordering as a guest", lang) if st.guest else "")
        menu.rate_previous = bool(st.member and st.member.ask_feedback_for)
        menu.booking_text = st.booking.button.in_lang(lang) if st.booking is not None else ""

    def _render_face(self) -> None:
        render_face(self.root.screen("face"), self.journey.face.state, self.lang)

    def _render_menu(self) -> None:
        st = self.journey.menu.state
        lang = self.lang
        screen = self.root.screen("menu")
        codes = [c.code for c in st.categories]
        if st.set_meals:
            codes.append(p.SET_MEALS)
        if self.category not in codes:
            self.category = codes[0] if codes else ""
        names = {c.code: c.name for c in st.categories if c.name is not None}
        assign(screen, "categories", [
            {"code": c, "text": names[c].in_lang(lang) if c in names else p.category_label(c, lang),
             "selected": c == self.category} for c in codes])
        f = st.filters
        filters = [
            {"code": "halal", "text": p.tr("Halal", lang), "selected": f.halal},
            {"code": "vegetarian", "text": p.tr("Vegetarian", lang), "selected": f.vegetarian},
            {"code": "no_spice", "text": p.tr("No spice", lang), "selected": f.no_spice},
        ]
        if self.journey.my_allergens():
            filters.append({"code": "hide_allergens", "text": p.tr("Hide my allergens", lang),
                            "selected": bool(f.hide_allergens)})
        assign(screen, "filters", filters)
        if self.category == p.SET_MEALS:
            rows = [p.set_meal_row(s, lang, screen.pick) for s in st.set_meals]
        else:
            cat = next((c for c in st.categories if c.code == self.category), None)
            rows = [p.dish_row(d, lang, screen.pick) for d in (cat.dishes if cat else ())]
        assign(screen, "dishes", rows)  # an unchanged list must not refresh the RecycleView
        assign(screen, "recommended", [p.dish_row(d, lang, screen.pick) for d in st.recommended])
        screen.rec_reason = st.reason.in_lang(lang) if st.reason is not None else ""
        screen.empty_text = p.tr("Nothing matches your filters.", lang) if st.period else \
            p.tr("No meal is being served right now.", lang)
        screen.hidden = p.tr("{count} dishes hidden by your filters", lang,
                             count=st.hidden_count) if st.hidden_count else ""
        self._render_cart_summary()

    def _render_cart_summary(self) -> None:
        session = self.journey.session
        count = sum(1 for _ in session.cart.lines)
        self.root.screen("menu").cart_summary = p.tr("{count} in cart", self.lang, count=count) \
            if count else p.tr("Your cart is empty", self.lang)

    def _render_detail(self) -> None:
        st = self.journey.detail.state
        lang = self.lang
        screen = self.root.screen("detail")
        if st.dish is None:
            return
        card = st.dish
        screen.title = card.name.in_lang(lang)
        screen.subname = p.other(card.name, lang)
        screen.description = card.description.in_lang(lang)
        screen.origin = card.origin.in_lang(lang)
        screen.facts, screen.allergens = p.dish_facts(card, lang)
        assign(screen, "option_groups", p.option_groups(st.options, lang))
        screen.quantity = st.qty
        assign(screen, "note_chips", p.note_chips(st.note, lang))
        screen.weighed = card.per_100g
        screen.grams = p.tr("{grams} g on the scale", lang, grams=st.grams) if st.grams else ""
        screen.busy = st.weighing
        screen.price = st.line_total_text or (card.price_text + p.tr(" /100 g", lang))

    def _render_setmeal(self) -> None:
        st = self.journey.set_meal.state
        lang = self.lang
        screen = self.root.screen("setmeal")
        if st.name is None:
            return
        screen.title = st.name.in_lang(lang)
        screen.price = st.price_text
        codes = [s.code for s in st.slots]
        open_slot = next((s.code for s in st.slots if len(s.picked) < s.count), codes[-1])
        if self.slot not in codes or self._slot_full(st, self.slot):
            self.slot = open_slot
        assign(screen, "slots", [
            {"code": s.code,
             "text": f"{p.slot_label(s.name, lang, s.candidates)} {len(s.picked)}/{s.count}",
             "selected": s.code == self.slot}
            for s in st.slots])
        slot = next(s for s in st.slots if s.code == self.slot)
        screen.current_slot = slot.code
        screen.last_pick = slot.picked[-1] if slot.picked else ""
        names = {c.dish_id: c.name.in_lang(lang) for s in st.slots for c in s.candidates}
        picked = [names.get(d, d) for s in st.slots for d in s.picked]
        screen.chosen = p.tr("Chosen: {names}", lang, names=p.join(picked, lang)) if picked else \
            p.tr("Pick one dish for each place", lang)
        assign(screen, "candidates", [p.dish_row(c, lang, screen.pick) for c in slot.candidates])
        screen.complete = st.complete

    @staticmethod
    def _slot_full(st: Any, code: str) -> bool:
        slot = next((s for s in st.slots if s.code == code), None)
        return slot is not None and len(slot.picked) >= slot.count and not st.complete

    def _render_cart(self) -> None:
        st = self.journey.cart.state
        lang = self.lang
        screen = self.root.screen("cart")
        assign(screen, "lines", p.cart_rows(st.lines, lang, st.notes))
        screen.coupon = p.coupon_line(st, lang)
        screen.has_coupon = st.coupon is not None
        assign(screen, "split", p.split_rows(st, lang))
        screen.total = st.total_text
        screen.note = p.cart_note(st, self.journey.state.guest, lang)
        screen.error = p.both(st.error, lang)
        screen.can_confirm = st.can_checkout and bool(st.lines)
        screen.is_member = self.journey.state.member is not None
        screen.use_points = st.use_points
        self._render_cart_summary()

    def _render_done(self) -> None:
        st = self.journey.done.state
        lang = self.lang
        done = self.root.screen("done")
        done.order_no = st.order_no
        done.ready = p.tr("Ready at about {time} (in {minutes} min)", lang,
                          time=st.ready.local_text, minutes=st.ready.minutes) if st.ready else ""
        done.pay_note = "" if st.paid else p.tr("Please pay {amount} at the counter", lang,
                                                amount=st.counter_due_text)
        # No receipt because the hub switched the printer off is news, not a fault.
        done.receipt_ok = st.printer_message is None or st.printer_message == NO_RECEIPT
        done.receipt = p.receipt_line(st, lang)
        if st.booking_pickup:  # a pre-booking handed over: paid when booked, no receipt
            done.receipt = PAID_BY_BOOKING.in_lang(lang)
        fb = self.root.screen("feedback")
        assign(fb, "faces", [{"score": s, "text": p.FACES[s](lang), "selected": s == st.rating}
                    for s in self.journey.done.faces])
        assign(fb, "tags", [{"code": c, "text": t.in_lang(lang), "selected": c in st.tags}
                   for c, t in self.journey.done.tag_choices])
        given = dict(st.dish_ratings)
        assign(fb, "dishes", [{"dish_id": d, "name": t.in_lang(lang), "rating": given.get(d, 0)}
                              for d, t in st.dishes])
        fb.rating = st.rating or 0
        fb.dishes_rated = bool(given)  # rating dishes alone may be sent
        fb.thanks = p.tr("Thank you for your feedback!", lang) if st.feedback_sent else ""
