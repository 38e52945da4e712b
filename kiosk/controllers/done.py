"""Done step: order number, estimated ready time, then the optional feedback prompt."""

from __future__ import annotations

from dataclasses import dataclass

from edge_agent.errors import StoreError
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
        self._set(DoneState(feedback_order_id=order_id))

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

    def submit(self) -> bool:
        """Record the feedback (with its outbox row); False when nothing was rated."""
        st = self.state
        if st.feedback_order_id is None or st.rating is None or st.feedback_sent:
            return False
        try:
            self.s.store.record_feedback({
                "order_id": st.feedback_order_id, "rating": st.rating,
                "tags": sorted(st.tags), "member_id": self._member_id,
            })
        except StoreError as err:
            raise FeedbackNotRecorded(str(err)) from err
        self._update(feedback_sent=True)
        return True

    def clear(self) -> None:
        """Forget the order and the rating."""
        self._member_id = None
        self._set(DoneState())
