"""A hub database with a site and devices, credentials issued, and a broker run from its files."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from demo.broker import PrivateBroker
from hub.db import make_engine
from hub.fleet import (
    DeviceCredentials,
    issue_device_credentials,
    issue_service_credentials,
    write_broker_files,
)
from hub.migrate import upgrade_to_head
from hub.models import Device, DeviceKind, Site
from tests.hub.conftest import (  # noqa: F401  (hub API fixtures, reused here)
    auth,
    client,
    db_session,
    hub_app,
    hub_settings,
    make_settings,
    token_for,
)

SITE = "site-1"
OTHER_SITE = "site-2"
HUB_USER = "hub-ingest"
DEVICES = {
    "kiosk-1": (SITE, DeviceKind.KIOSK),
    "kiosk-2": (SITE, DeviceKind.KIOSK),
    "kds-1": (SITE, DeviceKind.KDS),
    "kiosk-9": (OTHER_SITE, DeviceKind.KIOSK),
}


@dataclass
class Fleet:
    """The hub side (database, issued credentials) and the broker run from its files."""

    engine: Engine
    files_dir: Path
    broker: PrivateBroker
    creds: dict[str, DeviceCredentials] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def session(self) -> Session:
        """A session on the hub database."""
        return Session(self.engine)

    def regenerate_and_reload(self) -> None:
        """Rewrite the broker files from the database and SIGHUP the broker, as installers do."""
        with self.session() as s:
            write_broker_files(s, self.files_dir)
        assert self.broker.proc is not None
        self.broker.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)  # Mosquitto reloads between network loop iterations


def broker_config(files_dir: Path) -> str:
    """The lines the site broker config adds (see systemd/mosquitto-site.conf)."""
    return (
        "allow_anonymous false\n"
        f"password_file {files_dir / 'canteen.passwd'}\n"
        f"acl_file {files_dir / 'canteen.acl'}\n"
    )


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    """Sites, devices, credentials for each and a hub user; the broker started from the files."""
    settings = make_settings(tmp_path)
    engine = make_engine(settings)
    upgrade_to_head(engine, schema=settings.db_schema)
    files_dir = tmp_path / "broker-files"
    broker = PrivateBroker(tmp_path / "broker", extra_config=broker_config(files_dir))
    f = Fleet(engine, files_dir, broker)
    with Session(engine) as s:
        sites: dict[str, int] = {}
        for code in (SITE, OTHER_SITE):
            site = Site(code=code, name_zh=code, name_en=code)
            s.add(site)
            s.flush()
            assert site.id is not None
            sites[code] = site.id
        for code, (site_code, kind) in DEVICES.items():
            device = Device(code=code, kind=kind, site_id=sites[site_code])
            s.add(device)
            s.flush()
            assert device.id is not None
            f.ids[code] = device.id
        s.commit()
        for code, device_id in f.ids.items():
            f.creds[code] = issue_device_credentials(s, device_id=device_id)
        f.creds[HUB_USER] = issue_service_credentials(s, username=HUB_USER)
        write_broker_files(s, files_dir)
    f.broker.start()
    try:
        yield f
    finally:
        f.broker.stop()
        engine.dispose()
