"""Prometheus metrics of the hub, read from the database at each scrape.

The figures live in the database, not in one process's memory: several ingest workers
share the work, and the API process that serves ``/metrics`` ingests nothing. So a custom
collector runs a few aggregate queries per scrape (every 15-60 s). Served at ``/metrics``
on the API behind the admin role (a bearer token, docs/fleet.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from hub.db_types import utcnow
from hub.models.devices import Device
from hub.models.fleet_health import DeviceState, FleetAlert
from hub.models.ingest import DeadLetter, IngestedMessage
from hub.models.sites import Site

RATE_WINDOW = timedelta(minutes=1)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

T_MESSAGE = IngestedMessage.__table__  # type: ignore[attr-defined]
T_DEAD = DeadLetter.__table__  # type: ignore[attr-defined]
T_STATE = DeviceState.__table__  # type: ignore[attr-defined]
T_DEVICE = Device.__table__  # type: ignore[attr-defined]
T_SITE = Site.__table__  # type: ignore[attr-defined]
T_ALERT = FleetAlert.__table__  # type: ignore[attr-defined]


class HubCollector(Collector):
    """Ingest rate and lag, dead letters, devices online, open alerts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """One scrape: a handful of aggregate queries."""
        now = utcnow()
        with self.engine.connect() as conn:
            recent = conn.execute(
                sa.select(sa.func.count()).select_from(T_MESSAGE)
                .where(T_MESSAGE.c.received_at >= now - RATE_WINDOW)).scalar_one()
            dead = conn.execute(sa.select(T_DEAD.c.reason, sa.func.count())
                                .group_by(T_DEAD.c.reason)).all()
            lag = conn.execute(sa.select(
                sa.func.max(T_STATE.c.oldest_unsent_age_s),
                sa.func.coalesce(sa.func.sum(T_STATE.c.queue_depth), 0))).one()
            presence = conn.execute(
                sa.select(T_SITE.c.code, T_STATE.c.presence, sa.func.count())
                .select_from(T_DEVICE)
                .join(T_SITE, T_SITE.c.id == T_DEVICE.c.site_id)
                .outerjoin(T_STATE, T_STATE.c.device_id == T_DEVICE.c.id)
                .where(T_DEVICE.c.active)
                .group_by(T_SITE.c.code, T_STATE.c.presence)).all()
            alerts = conn.execute(sa.select(T_ALERT.c.kind, sa.func.count())
                                  .where(T_ALERT.c.closed_at.is_(None))
                                  .group_by(T_ALERT.c.kind)).all()
        rate = GaugeMetricFamily("canteen_ingest_messages_per_second",
                                 "Uplink events committed per second over the last minute")
        rate.add_metric([], recent / RATE_WINDOW.total_seconds())
        yield rate
        lag_age = GaugeMetricFamily(
            "canteen_ingest_lag_seconds",
            "Age of the oldest event still waiting in any device's outbox (from heartbeats)")
        lag_age.add_metric([], float(lag[0] or 0))
        yield lag_age
        backlog = GaugeMetricFamily("canteen_outbox_events",
                                    "Events waiting in the devices' outboxes (from heartbeats)")
        backlog.add_metric([], float(lag[1] or 0))
        yield backlog
        dead_total = CounterMetricFamily("canteen_dead_letters",
                                         "Messages the hub could never ingest", labels=["reason"])
        for reason, n in dead:
            dead_total.add_metric([reason], n)
        yield dead_total
        online = GaugeMetricFamily("canteen_devices", "Active devices by site and presence",
                                   labels=["site", "presence"])
        for site, state, n in presence:
            online.add_metric([site, state or "unknown"], n)
        yield online
        open_alerts = GaugeMetricFamily("canteen_fleet_alerts_open", "Open fleet alerts",
                                        labels=["kind"])
        for kind, n in alerts:
            open_alerts.add_metric([kind], n)
        yield open_alerts


def render(engine: Engine) -> bytes:
    """The text exposition of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(engine))
    return generate_latest(registry)
