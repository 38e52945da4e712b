"""Helpers of the fleet tests: a hub with two sites and devices, agents in threads, heartbeats."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from hub.db import make_engine
from hub.fleet.health import Beat, note_heartbeats
from hub.migrate import upgrade_to_head
from hub.models import Device, DeviceKind, MealPeriod, Site
from hub.settings import Settings
from protocol.payloads.device import DeviceHeartbeat

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


def start_agent(tmp: Path, broker: PrivateBroker, site: str, device: str) -> Agent:
    """An edge agent for `device` in a background thread (heartbeat every 0.5 s)."""
    cfg = AgentConfig.model_validate({
        "site_id": site, "device_id": device, "store_path": str(tmp / f"{device}.db"),
        "heartbeat_interval_s": 0.5, "log_level": "INFO",
        "broker": {"host": broker.host, "port": broker.port, "keepalive_s": 5,
                   "reconnect_min_s": 0.1, "reconnect_max_s": 1.0},
        "outbox": {"window": 50, "ack_timeout_s": 2.0, "max_retry_interval_s": 4.0},
    })
    agent = Agent(cfg)
    agent.start()
    return agent
