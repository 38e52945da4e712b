"""A hub database with sites, devices and a service user, and a Mosquitto run by the
dynamic security plugin from it (issue 16's fleet access tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from demo.broker import PrivateBroker
from hub.db import make_engine
from hub.downlinks.mqtt import BrokerTarget
from hub.fleet import DeviceCredentials, issue_device_credentials, issue_service_credentials
from hub.fleet.dynsec import DynsecAdmin, broker_config_lines, plugin_path, write_dynsec_config
from hub.migrate import upgrade_to_head
from hub.models import Device, DeviceKind, Site
from hub.settings import Settings

ADMIN_USER = "hub-dynsec"
ADMIN_PASSWORD = "dynsec-admin-test-password-0123456789"
HUB_USER = "hub-ingest"
SITE = "site-1"
OTHER_SITE = "site-2"
DEVICES = {
    "kiosk-1": (SITE, DeviceKind.KIOSK),
    "kiosk-2": (SITE, DeviceKind.KIOSK),
    "kds-1": (SITE, DeviceKind.KDS),
    "kiosk-9": (OTHER_SITE, DeviceKind.KIOSK),
}


def require_plugin() -> str:
    """The plugin's path, or skip the test with the reason."""
    path = plugin_path()
    if path is None:
        pytest.skip("mosquitto_dynamic_security.so not installed (Debian package mosquitto)")
    return path


@dataclass
class DynsecFleet:
    """Hub database, issued logins, and a broker whose plugin file was rendered from them."""

    engine: Engine
    broker: PrivateBroker
    admin_password_file: Path
    creds: dict[str, DeviceCredentials] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def session(self) -> Session:
        """A session on the hub database."""
        return Session(self.engine)

    def target(self) -> BrokerTarget:
        """How the hub's plugin admin reaches the broker."""
        return BrokerTarget(self.broker.host, self.broker.port, ADMIN_USER,
                            self.admin_password_file)

    def admin(self) -> DynsecAdmin:
        """The hub's plugin admin (use as a context manager)."""
        return DynsecAdmin(self.target())


def seed_sites_and_devices(session: Session, devices: dict[str, tuple[str, DeviceKind]]
                           ) -> tuple[dict[str, int], dict[str, int]]:
    """Sites and devices in the hub database; (site ids, device ids) by code."""
    sites: dict[str, int] = {}
    for _, (site_code, _kind) in devices.items():
        if site_code in sites:
            continue
        site = Site(code=site_code, name_zh=site_code, name_en=site_code)
        session.add(site)
        session.flush()
        assert site.id is not None
        sites[site_code] = site.id
    ids: dict[str, int] = {}
    for code, (site_code, kind) in devices.items():
        device = Device(code=code, kind=kind, site_id=sites[site_code])
        session.add(device)
        session.flush()
        assert device.id is not None
        ids[code] = device.id
    session.commit()
    return sites, ids


@contextmanager
def dynsec_fleet(tmp_path: Path, settings: Settings,
                 devices: dict[str, tuple[str, DeviceKind]] | None = None,
                 ) -> Iterator[DynsecFleet]:
    """Devices with credentials, a hub service user, and the broker started with the plugin."""
    so = require_plugin()
    engine = make_engine(settings)
    upgrade_to_head(engine, schema=settings.db_schema)
    admin_pw = tmp_path / "dynsec-admin.password"
    admin_pw.write_text(ADMIN_PASSWORD + "\n")
    dynsec_file = tmp_path / "broker" / "dynsec.json"
    broker = PrivateBroker(tmp_path / "broker",
                           extra_config=broker_config_lines(dynsec_file, so))
    fleet = DynsecFleet(engine, broker, admin_pw)
    with Session(engine) as s:
        _, fleet.ids = seed_sites_and_devices(s, DEVICES if devices is None else devices)
        for code, device_id in fleet.ids.items():
            fleet.creds[code] = issue_device_credentials(s, device_id=device_id)
        fleet.creds[HUB_USER] = issue_service_credentials(s, username=HUB_USER)
        write_dynsec_config(s, dynsec_file, admin_username=ADMIN_USER,
                            admin_password=ADMIN_PASSWORD)
    broker.start()
    try:
        yield fleet
    finally:
        broker.stop()
        engine.dispose()


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The hub app of these settings under uvicorn in a thread; yields its base URL."""
    import threading

    import uvicorn

    from demo.broker import free_port
    from hub.app import create_app
    from tests.support.waiting import wait_for

    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="hub-uvicorn", daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), 20, "the hub to start")
    if not server.started:
        raise RuntimeError("the hub did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def admin_token(settings: Settings, engine: Engine, username: str = "fleet-admin") -> str:
    """A bearer token of an admin user (created if missing) on this hub."""
    from sqlmodel import select

    from hub.models.users import Role, User
    from hub.security import create_access_token

    with Session(engine) as s:
        if s.exec(select(User).where(User.username == username)).first() is None:
            s.add(User(username=username, role=Role.ADMIN, active=True, password_hash="x"))
            s.commit()
    return create_access_token(username=username, role=Role.ADMIN,
                               secret=settings.secret_key.get_secret_value(), minutes=10)
