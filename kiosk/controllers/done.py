"""Done step: order number, estimated ready time, then the optional feedback prompt."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from edge_agent.errors import StoreError
from edge_agent.store import RecordedOrder
from kiosk.controllers.context import Services
from kiosk.controllers.observable import Observable
from kiosk.controllers.views import ReadyEstimate
from kiosk.i18n import Text
from kiosk.services.errors import FeedbackNotRecorded
from kiosk.services.history import estimate_ready
from kiosk.services.ordering import Placed
from protocol.vocab import FEEDBACK_TAGS
from rules.money import format_cents

FACES = (1, 2, 3, 4, 5)
TAGS: tuple[tuple[str, Text], ...] = tuple(
    (code, Text(label.zh, label.en)) for code, label in FEEDBACK_TAGS.items()
)


@dataclass(frozen=True)
class DoneState:
    """The done screen (and its feedback prompt)."""

    order_no: str = ""
    order_id: str = ""
    ready: ReadyEstimate | None = None
    paid: bool = True
    counter_due_text: str = ""
    printer_message: Text | None = None
    printing: bool = False  # the receipt is on its way to the printer
    feedback_order_id: str | None = None
    rating: int | None = None
    tags: frozenset[str] = frozenset()
    feedback_sent: bool = False
    # The order's dishes the diner may rate one by one (schema 1.1), and what they gave.
    dishes: tuple[tuple[str, Text], ...] = ()
    dish_ratings: tuple[tuple[str, int], ...] = ()
    booking_pickup: bool = False  # the order hands over a pre-booking (paid when booked)


def _dishes(lines: Iterable[tuple[str, str, str]]) -> tuple[tuple[str, Text], ...]:
    """Each dish of the order once, in order, with its name."""
    seen: dict[str, Text] = {}
    for dish_id, zh, en in lines:
        seen.setdefault(dish_id, Text(zh, en))
    return tuple(seen.items())


class DoneController(Observable[DoneState]):
    """Order number and ready time; collects a 1-5 rating and quick tags."""

    faces = FACES
    tag_choices = TAGS

    def __init__(self, services: Services) -> None:
        """Nothing shown yet."""
        super().__init__(DoneState())
        self.s = services
        self._member_id: str | None = None

    def show(self, placed: Placed, member_id: str | None, *, printing: bool = True) -> None:
        """Show a placed order's number and when it should be ready (receipt still printing)."""
        rec = placed.recorded
        stations = {line.station for line in rec.payload.lines}
        cfg = self.s.config
        at = estimate_ready(self.s.history, stations, rec.placed_at, cfg.station_minutes,
                            cfg.default_station_minutes)
        minutes = round((at - rec.placed_at).total_seconds() / 60)
        local = self.s.catalog.local_time(at).strftime("%H:%M")
        self._member_id = member_id
        self._set(DoneState(
            order_no=rec.order_no, order_id=rec.order_id,
            ready=ReadyEstimate(at, minutes, local), paid=placed.priced.paid_in_full,
            counter_due_text="" if placed.priced.paid_in_full else
            format_cents(placed.priced.counter_due_cents),
            printing=printing, feedback_order_id=rec.order_id,
            dishes=_dishes((ln.dish_id, ln.name_zh, ln.name_en) for ln in rec.payload.lines),
        ))

    def show_pickup(self, rec: RecordedOrder, member_id: str) -> None:
        """Show a pre-booking's pick-up order: paid by the booking, nothing printed."""
        stations = {line.station for line in rec.payload.lines}
        cfg = self.s.config
        at = estimate_ready(self.s.history, stations, rec.placed_at, cfg.station_minutes,
                            cfg.default_station_minutes)
        minutes = round((at - rec.placed_at).total_seconds() / 60)
        local = self.s.catalog.local_time(at).strftime("%H:%M")
        self._member_id = member_id
        self._set(DoneState(
            order_no=rec.order_no, order_id=rec.order_id,
            ready=ReadyEstimate(at, minutes, local), paid=True, printing=False,
            feedback_order_id=rec.order_id, booking_pickup=True,
            dishes=_dishes((ln.dish_id, ln.name_zh, ln.name_en) for ln in rec.payload.lines),
        ))

    def receipt_done(self, order_id: str, printer_message: Text | None) -> bool:
        """The receipt of ``order_id`` printed (None) or not (the fault); False if not shown."""
        if self.state.order_id != order_id:
            return False  # the diner has moved on: nothing to tell
        self._update(printing=False, printer_message=printer_message)
        return True

    def ask_about(self, order_id: str, member_id: str | None) -> None:
        """Ask about an earlier meal (a member identifying again)."""
        self._member_id = member_id
        self._set(DoneState(feedback_order_id=order_id,
                            dishes=_dishes(self.s.history.order_dishes(order_id))))

    def rate(self, rating: int) -> None:
        """Choose a face (1-5)."""
        if rating not in FACES:
            raise ValueError(f"rating must be 1-5, not {rating}")
        self._update(rating=rating)

    def toggle_tag(self, code: str) -> None:
        """Tap a quick tag on or off."""
        if code not in FEEDBACK_TAGS:
            raise ValueError(f"unknown feedback tag {code!r}")
        tags = self.state.tags ^ {code}
        self._update(tags=frozenset(tags))

    def rate_dish(self, dish_id: str, rating: int) -> None:
        """Rate one dish of the order (1-5); the same face again takes the rating back."""
        if rating not in FACES:
            raise ValueError(f"rating must be 1-5, not {rating}")
        if dish_id not in {d for d, _ in self.state.dishes}:
            raise ValueError(f"dish {dish_id!r} is not in this order")
        given = dict(self.state.dish_ratings)
        if given.get(dish_id) == rating:
            del given[dish_id]
        else:
            given[dish_id] = rating
        order = [d for d, _ in self.state.dishes]
        self._update(dish_ratings=tuple(sorted(given.items(), key=lambda r: order.index(r[0]))))

    def submit(self) -> bool:
        """Record the feedback (with its outbox row); False when nothing was rated.

        Rating only dishes is enough: the order's rating is then their rounded mean.
        """
        st = self.state
        rating = st.rating
        if rating is None and st.dish_ratings:
            rating = round(sum(r for _, r in st.dish_ratings) / len(st.dish_ratings))
        if st.feedback_order_id is None or rating is None or st.feedback_sent:
            return False
        feedback: dict[str, object] = {
            "order_id": st.feedback_order_id, "rating": rating,
            "tags": sorted(st.tags), "member_id": self._member_id,
        }
        if st.dish_ratings:
            feedback["dishes"] = [{"dish_id": d, "rating": r} for d, r in st.dish_ratings]
        try:
            self.s.store.record_feedback(feedback)
        except StoreError as err:
            raise FeedbackNotRecorded(str(err)) from err
        self._update(feedback_sent=True)
        return True

    def clear(self) -> None:
        """Forget the order and the rating."""
        self._member_id = None
        self._set(DoneState())
