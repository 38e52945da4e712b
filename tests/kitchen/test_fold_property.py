"""Property: any arrival order of a station history, with re-sends, reads as what the cooks did.

A history is what really happened: per station the cooks' bumps and recalls in time order,
and each display's first-seen "started" at any moment (a display that was off may first
see a ticket long after it was bumped). What a cook expects: the last bump or recall
decides; a started never does. The one fold (pickup board, hub) and a third display
sharing the station (real SQLite store) must both end there, whatever the order.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.kitchen.kds_store import KdsStore
from protocol import Envelope, new_order_id
from protocol.payloads.kitchen import OrderStateChanged, fold_states
from tests.support.kitchen import T0, placed, state

STATIONS = ("wok", "noodles")


@dataclass(frozen=True)
class History:
    """Events as sent, and each station's state a cook expects (``ready``/``in_preparation``)."""

    order_id: str
    events: tuple[Envelope, ...]
    expected: dict[str, str]
    ready_minute: dict[str, int]


@st.composite
def histories(draw: st.DrawFn) -> History:
    """Per station: a start on display 1 at 0, a late start on display 2 at any minute, and
    alternating bump/recall actions at distinct later minutes (on either display)."""
    oid = new_order_id()
    events: list[Envelope] = []
    expected: dict[str, str] = {}
    ready_minute: dict[str, int] = {}
    for station in STATIONS:
        events.append(state(oid, "in_preparation", 0, station))
        events.append(state(oid, "in_preparation", draw(st.integers(0, 12)), station,
                            device="kds-2"))
        minutes = sorted(draw(st.sets(st.integers(1, 12), max_size=4)))
        expected[station] = "in_preparation"
        for i, minute in enumerate(minutes):
            bump = i % 2 == 0
            device = draw(st.sampled_from(["kds-1", "kds-2"]))
            events.append(state(oid, "ready" if bump else "in_preparation", minute, station,
                                device=device, recall=not bump))
            expected[station] = "ready" if bump else "in_preparation"
            if bump:
                ready_minute[station] = minute
    return History(oid, tuple(events), expected, ready_minute)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[History, list[Envelope]]:
    """A history and its events in any order, some sent twice."""
    h = draw(histories())
    resent = draw(st.lists(st.sampled_from(h.events), max_size=4))
    return h, draw(st.permutations([*h.events, *resent]))


def _payloads(envs: list[Envelope]) -> list[OrderStateChanged]:
    return [e.payload for e in envs if isinstance(e.payload, OrderStateChanged)]


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_the_fold_reads_what_the_cooks_did(case: tuple[History, list[Envelope]]) -> None:
    h, arrived = case
    status = fold_states(_payloads(arrived), STATIONS)
    assert {s: status.stations[s][0] for s in STATIONS} == h.expected
    if all(v == "ready" for v in h.expected.values()):
        assert status.state == "ready"
        latest = max(h.ready_minute.values())
        assert status.ready_at is not None and (status.ready_at - T0).seconds == latest * 60
    else:
        assert status.state == "in_preparation" and status.ready_at is None


@settings(max_examples=300, deadline=None)
@given(deliveries(), st.integers(0, 40))
def test_a_third_display_shows_what_the_cooks_did(
    case: tuple[History, list[Envelope]], placed_after: int
) -> None:
    h, arrived = case
    wok = [e for e in arrived if isinstance(e.payload, OrderStateChanged)
           and e.payload.station == "wok"]
    # Its order.placed lands anywhere in the stream (re-sends go round in any order).
    stream = list(wok)
    stream.insert(min(placed_after, len(stream)), placed(h.order_id))
    with tempfile.TemporaryDirectory() as tmp:
        store = KdsStore(Path(tmp) / "kds-3.db", site_id="site-1", device_id="kds-3",
                         stations=("wok",))
        try:
            for env in stream:
                store.apply_envelope(env)
            is_open = [t.order_id for t in store.open_tickets()] == [h.order_id]
            assert ("in_preparation" if is_open else "ready") == h.expected["wok"]
        finally:
            store.close()
