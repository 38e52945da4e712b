"""Read side of tracking: an order's timeline, per-station preparation times, open orders."""

from __future__ import annotations

import statistics
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from hub.models.tracking import OrderTrack, OrderTrackEvent, OrderTrackStation

OPEN_STATES = ("placed", "in_preparation", "ready")


class TimelineEntry(BaseModel):
    """One event of an order, in time order."""

    at: datetime
    state: str
    station: str | None
    device: str
    recall: bool = False  # an in_preparation that reopened a bumped ticket


class Timeline(BaseModel):
    """An order's current state and every event that led there."""

    order_id: str
    order_no: str
    site: str
    state: str
    placed_at: datetime | None
    ready_at: datetime | None
    collected_at: datetime | None
    cancelled_at: datetime | None
    events: list[TimelineEntry]


class StationTimes(BaseModel):
    """Preparation figures of one station: started -> bumped, and placed -> bumped."""

    station: str
    tickets: int
    prep_median_s: float | None
    prep_p90_s: float | None
    wait_median_s: float | None


class OpenOrder(BaseModel):
    """An order not yet collected or cancelled."""

    order_id: str
    order_no: str
    state: str
    placed_at: datetime | None
    ready_at: datetime | None
    stations_ready: list[str]
    stations_open: list[str]


def timeline(session: Session, order_id: str) -> Timeline | None:
    """The order's timeline, or None when the hub has heard nothing of it."""
    track = session.get(OrderTrack, order_id)
    if track is None:
        return None
    events = session.exec(
        select(OrderTrackEvent).where(OrderTrackEvent.order_id == order_id)
        .order_by(col(OrderTrackEvent.at))
    ).all()
    return Timeline(
        order_id=order_id, order_no=track.order_no, site=track.site_code, state=track.state,
        placed_at=track.placed_at, ready_at=track.ready_at, collected_at=track.collected_at,
        cancelled_at=track.cancelled_at,
        events=[TimelineEntry(at=e.at, state=e.state, station=e.station, device=e.device_code,
                              recall=e.recall)
                for e in events],
    )


def station_times(session: Session, site: str, since: datetime) -> list[StationTimes]:
    """Per station, over tickets bumped since ``since``."""
    rows = session.exec(
        select(OrderTrackStation, OrderTrack.placed_at)
        .join(OrderTrack, col(OrderTrack.order_id) == col(OrderTrackStation.order_id))
        .where(OrderTrackStation.site_code == site, OrderTrackStation.state == "ready",
               col(OrderTrackStation.ready_at) >= since)
    ).all()
    prep: dict[str, list[float]] = {}
    wait: dict[str, list[float]] = {}
    for st, placed_at in rows:
        assert st.ready_at is not None
        prep.setdefault(st.station, [])
        if st.started_at is not None:
            prep[st.station].append((st.ready_at - st.started_at).total_seconds())
        if placed_at is not None:
            wait.setdefault(st.station, []).append((st.ready_at - placed_at).total_seconds())
    return [
        StationTimes(station=s, tickets=len(prep[s]) or len(wait.get(s, [])),
                     prep_median_s=_median(prep[s]), prep_p90_s=_p90(prep[s]),
                     wait_median_s=_median(wait.get(s, [])))
        for s in sorted(prep)
    ]


def open_orders(session: Session, site: str) -> list[OpenOrder]:
    """Orders of a site that are placed, in preparation or ready, oldest first."""
    tracks = session.exec(
        select(OrderTrack).where(OrderTrack.site_code == site,
                                 col(OrderTrack.state).in_(OPEN_STATES))
        .order_by(col(OrderTrack.placed_at))
    ).all()
    ids = [t.order_id for t in tracks]
    stations = session.exec(
        select(OrderTrackStation).where(col(OrderTrackStation.order_id).in_(ids))
    ).all() if ids else []
    ready: dict[str, list[str]] = {}
    open_: dict[str, list[str]] = {}
    for s in stations:
        (ready if s.state == "ready" else open_).setdefault(s.order_id, []).append(s.station)
    return [
        OpenOrder(order_id=t.order_id, order_no=t.order_no, state=t.state,
                  placed_at=t.placed_at, ready_at=t.ready_at,
                  stations_ready=sorted(ready.get(t.order_id, [])),
                  stations_open=sorted(open_.get(t.order_id, [])))
        for t in tracks
    ]


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 1) if xs else None


def _p90(xs: list[float]) -> float | None:
    if not xs:
        return None
    ordered = sorted(xs)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)
