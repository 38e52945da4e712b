"""Helpers of the fleet tests: a hub with two sites and devices, agents in threads, heartbeats."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from hub.db import make_engine
from hub.downlinks.mqtt import BrokerTarget
from hub.fleet.health import Beat, note_heartbeats
from hub.fleet.monitor import FleetMonitor
from hub.ingest.worker import IngestWorker, WorkerSettings
from hub.migrate import upgrade_to_head
from hub.models import Device, DeviceKind, MealPeriod, Site
from hub.settings import Settings
from protocol.payloads.device import DeviceHeartbeat
from tests.support.waiting import wait_for

SITES = {"north": ("北区食堂", "North canteen"), "south": ("南区食堂", "South canteen")}


def fleet_hub(settings: Settings, devices: dict[str, Iterable[str]],
              lunch: tuple[str, str] | None = None) -> Engine:
    """A migrated hub with these sites ({site: [device codes]}), kiosks, optional lunch."""
    engine = make_engine(settings)
    upgrade_to_head(engine, schema=settings.db_schema)
    with Session(engine) as session:
        for code, codes in devices.items():
            zh, en = SITES.get(code, (code, code))
            site = Site(code=code, name_zh=zh, name_en=en, timezone="UTC")
            session.add(site)
            session.flush()
            assert site.id is not None
            if lunch is not None:
                start, end = (datetime.strptime(t, "%H:%M").time() for t in lunch)
                session.add(MealPeriod(site_id=site.id, code="lunch", name_zh="午餐",
                                       name_en="Lunch", start=start, end=end))
            for dev in codes:
                session.add(Device(code=dev, kind=DeviceKind.KIOSK, site_id=site.id,
                                   name=f"Kiosk {dev}"))
        session.commit()
    return engine


def device_id(engine: Engine, code: str) -> int:
    """The hub's id of a device code."""
    with Session(engine) as session:
        found = session.exec(select(Device.id).where(Device.code == code)).first()
        assert found is not None
        return found


def heartbeat(**fields: Any) -> DeviceHeartbeat:
    """A valid heartbeat with these fields changed."""
    base: dict[str, Any] = {"queue_depth": 0, "disk_free_mb": 4000, "uptime_s": 60,
                            "app_version": "canteen-edge 0.1.0"}
    return DeviceHeartbeat.model_validate({**base, **fields})


def beat(engine: Engine, code: str, sent_at: datetime, received_at: datetime,
         **fields: Any) -> None:
    """Fold one heartbeat of a device into the hub's health summary, as ingest does."""
    with engine.begin() as conn:
        note_heartbeats(conn, [Beat(device_id(engine, code), sent_at, heartbeat(**fields))],
                        received_at=received_at)


def start_agent(tmp: Path, broker: PrivateBroker, site: str, device: str,
                password: str | None = None) -> Agent:
    """An edge agent for `device` in a background thread (heartbeat every 0.5 s); with a
    password it logs in as `device` (a broker run by the dynamic security plugin)."""
    login: dict[str, Any] = {}
    if password is not None:
        password_file = tmp / f"{device}.password"
        password_file.write_text(password + "\n")
        login = {"username": device, "password_file": str(password_file)}
    cfg = AgentConfig.model_validate({
        "site_id": site, "device_id": device, "store_path": str(tmp / f"{device}.db"),
        "heartbeat_interval_s": 0.5, "log_level": "INFO",
        "broker": {"host": broker.host, "port": broker.port, "keepalive_s": 5,
                   "reconnect_min_s": 0.1, "reconnect_max_s": 1.0, **login},
        "outbox": {"window": 50, "ack_timeout_s": 2.0, "max_retry_interval_s": 4.0},
    })
    agent = Agent(cfg)
    agent.start()
    return agent


@contextmanager
def hub_workers(engine: Engine, target: BrokerTarget, worker_id: str = "fleet-e2e",
                password: str | None = None) -> Iterator[FleetMonitor]:
    """The hub's ingest worker and fleet monitor on this broker, running in threads, as the
    fleet end-to-end tests run them (`password`: the service user's, for the worker)."""
    worker = IngestWorker(engine, WorkerSettings(
        host=target.host, port=target.port, worker_id=worker_id, max_wait_ms=20,
        username=target.username, password=password))
    worker.start()
    worker.run_in_thread()
    try:
        assert worker.client is not None
        wait_for(worker.client.is_connected, 20, "the ingest worker to connect")
        monitor = FleetMonitor(engine, target, tick_s=0.3)
        monitor.start()
        try:
            yield monitor
        finally:
            monitor.stop()
    finally:
        worker.stop()
