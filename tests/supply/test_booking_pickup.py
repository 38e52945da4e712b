"""Pre-booking pick-up at the kiosk through edge sync (real Mosquitto, no hub at pick-up).

The hub publishes the day's bookings retained on the site downlink; a kiosk's agent keeps
the copy; the member picks the booking up at the kiosk with the hub away (an order paid by
the booking); a second pick-up is refused on that kiosk, and on the hub when another kiosk
that did not know sends one; the hub charges the booking once when it ingests the order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from edge_agent.downlinks import DownlinkApplier
from edge_agent.store import DeviceStore
from hub.accounts.ledger import read_account
from hub.accounts.stored_value import top_up
from hub.downlinks.bookings import BookingsPublisher
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher
from hub.ingest.classify import Inbound
from hub.ingest.writer import BatchWriter
from hub.models.orders import Order
from hub.models.sites import MealPeriod
from hub.models.supply_bookings import Booking, BookingCreate, BookingKind
from hub.supply import bookings as svc
from kiosk.services.bookings import BookingDesk
from kiosk.services.catalog import CatalogService
from kiosk.services.clock import SystemClock
from kiosk.services.errors import BookingTaken
from tests.hub.conftest import make_settings
from tests.support.supply import PERIOD, SITE, Canteen, device_config, make_canteen, site_catalog
from tests.support.supply_demand import make_member
from tests.support.waiting import wait_for

TZ = "Asia/Shanghai"
MEMBER = "M0001"


class Kiosk:
    """A kiosk's store, menu and booking desk, with or without its agent on the broker."""

    def __init__(self, tmp: Path, broker: PrivateBroker, device: str, *, agent: bool) -> None:
        cfg = device_config(tmp, broker, device)
        self.store = DeviceStore(cfg.store_path, site_id=SITE, device_id=device, timezone=TZ)
        DownlinkApplier(self.store.conn, site_id=SITE).apply_catalog(site_catalog())
        self.desk = BookingDesk(self.store, CatalogService(self.store, TZ), SystemClock())
        self.agent = Agent(cfg) if agent else None
        if self.agent is not None:
            self.agent.start()

    def outbox(self, order_id: str) -> Inbound:
        topic, body = self.store.conn.execute(
            "SELECT o.topic, o.body FROM outbox o JOIN orders r ON r.message_id = o.message_id"
            " WHERE r.order_id = ?", (order_id,)).fetchone()
        return Inbound(topic, bytes(body))

    def close(self) -> None:
        if self.agent is not None:
            self.agent.stop()
        self.store.close()


@pytest.fixture
def booked(tmp_path: Path) -> tuple[Canteen, int, str]:
    """The canteen, a member with ¥50 and a booking of 2 Kung Pao chicken for today's lunch
    (made yesterday, before lunch's cut-off)."""
    c = make_canteen(make_settings(tmp_path))
    now = datetime.now(UTC)
    with Session(c.engine) as s:
        member = make_member(s, MEMBER)
        s.commit()
        top_up(s, member_id=member, amount_cents=5000, method="cash", actor="t",
               at=now - timedelta(days=2))
        lunch = s.exec(select(MealPeriod.id).where(MealPeriod.site_id == c.site_id)).one()
        assert lunch is not None
        booking = svc.create_booking(s, data=BookingCreate(
            member_id=member, site_id=c.site_id, meal_period_id=lunch,
            day=now.astimezone(ZoneInfo(TZ)).date(), kind=BookingKind.DISH,
            dish_id=c.dishes["d-kungpao"], qty=2), now=now - timedelta(days=1), actor="m")
        s.commit()
        return c, member, booking.uid


@pytest.fixture
def kiosks(tmp_path: Path, broker: PrivateBroker) -> Iterator[tuple[Kiosk, Kiosk]]:
    k1 = Kiosk(tmp_path, broker, "k1", agent=True)
    k2 = Kiosk(tmp_path, broker, "k2", agent=False)
    yield k1, k2
    k1.close()
    k2.close()


def paid_cents(c: Canteen, member: int) -> int:
    with Session(c.engine) as s:
        return read_account(s, member_id=member).paid_cents


def test_booking_downlinked_picked_up_offline_charged_once_second_refused(
        booked: tuple[Canteen, int, str], kiosks: tuple[Kiosk, Kiosk],
        broker: PrivateBroker, tmp_path: Path) -> None:
    c, member, uid = booked
    k1, k2 = kiosks
    with OneShotPublisher(BrokerTarget(broker.host, broker.port)) as client:
        pub = BookingsPublisher(c.engine, client)
        sent = pub.publish(SITE)
        assert sent is not None and sent.topic.endswith(f"/site/{SITE}/down/bookings")
        assert pub.publish(SITE) is None  # unchanged: nothing sent again
    # The kiosk's agent keeps the retained copy; from here on no hub is involved.
    wait_for(lambda: k1.store.bookings() is not None, what="the bookings on kiosk 1")
    (waiting,) = k1.desk.open_for(MEMBER, PERIOD)
    assert waiting.booking_id == uid and waiting.what.en == "Kung Pao chicken ×2"
    assert waiting.button.zh == "领取预订：宫保鸡丁 ×2"
    assert k1.desk.open_for("M9999", PERIOD) == [] and k1.desk.open_for(MEMBER, "dinner") == []

    booking = k1.desk.find(f"BK1:{uid}", PERIOD)  # the booking's QR
    rec = k1.desk.pick_up(booking, order_id="0192f3a0-0000-7000-8000-000000000001")
    order = rec.payload
    assert order.booking_id == uid and order.member_id == MEMBER and order.total_cents == 3600
    assert [(ln.dish_id, ln.qty, ln.unit_price_cents, ln.station) for ln in order.lines] == [
        ("d-kungpao", 2, 1800, "wok")]
    assert [(p.method, p.amount_cents, p.reference) for p in order.payments] == [
        ("booking", 3600, uid)]
    # A second pick-up of the same booking is refused at the kiosk, whichever way it comes.
    with pytest.raises(BookingTaken) as taken:
        k1.desk.find(uid, PERIOD)
    assert taken.value.order_no == rec.order_no
    with pytest.raises(BookingTaken):
        k1.desk.pick_up(booking, order_id="0192f3a0-0000-7000-8000-000000000002")
    assert k1.desk.open_for(MEMBER, PERIOD) == []
    assert k1.store.order_totals() == (1, 3600)

    # The hub ingests the order: the booking is picked up and charged once (¥36 of ¥50).
    before = paid_cents(c, member)
    assert [o.result for o in BatchWriter(c.engine).write([k1.outbox(rec.order_id)])] == ["ok"]
    with Session(c.engine) as s:
        b = s.exec(select(Booking).where(Booking.uid == uid)).one()
        assert b.status == "picked_up" and b.charged_cents == 3600
        first_at = b.picked_up_at
        assert s.get(Order, rec.order_id) is not None
    assert paid_cents(c, member) == before - 3600

    # Kiosk 2 never got the copy with the pick-up (no agent): it hands the booking over
    # again from the first copy; the hub refuses that pick-up and charges nothing.
    first_copy = k1.store.bookings()
    assert first_copy is not None
    DownlinkApplier(k2.store.conn, site_id=SITE).apply_bookings(first_copy)
    again = k2.desk.pick_up(k2.desk.find(uid, PERIOD),
                            order_id="0192f3a0-0000-7000-8000-000000000003")
    assert [o.result for o in BatchWriter(c.engine).write([k2.outbox(again.order_id)])] == [
        "ok"]
    with Session(c.engine) as s:
        b = s.exec(select(Booking).where(Booking.uid == uid)).one()
        assert b.status == "picked_up" and b.picked_up_at == first_at
    assert paid_cents(c, member) == before - 3600

    # The next copy says picked up: every kiosk refuses it from then on.
    with OneShotPublisher(BrokerTarget(broker.host, broker.port)) as client:
        assert BookingsPublisher(c.engine, client).publish(SITE) is not None
    wait_for(lambda: getattr(k1.store.bookings(), "version", 0) > first_copy.version,
             what="the picked-up booking on kiosk 1")
    k3 = Kiosk(tmp_path, broker, "k3", agent=False)
    try:
        copy = k1.store.bookings()
        assert copy is not None
        DownlinkApplier(k3.store.conn, site_id=SITE).apply_bookings(copy)
        assert k3.desk.open_for(MEMBER, PERIOD) == []
        with pytest.raises(BookingTaken) as taken:
            k3.desk.find(uid, PERIOD)
        assert taken.value.order_no is None
    finally:
        k3.close()
