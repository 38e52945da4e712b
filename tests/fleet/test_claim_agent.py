"""End to end: an admin makes a code on the hub, `canteen-agent claim` trades it, the agent
logs in to a broker run by the dynamic security plugin, and decommissioning cuts it off."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from edge_agent.agent import Agent
from edge_agent.cli import main as agent_main
from edge_agent.config import load_config
from protocol import parse
from protocol.payloads.device import DeviceStatus
from protocol.topics import status_filter, status_topic
from tests.hub.conftest import make_settings
from tests.security.mqtt_probe import Probe
from tests.support.fleet_access import (
    ADMIN_USER,
    HUB_USER,
    SITE,
    admin_token,
    dynsec_fleet,
    served,
)
from tests.support.waiting import wait_for


def test_claim_online_then_decommissioned_and_cut_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    with dynsec_fleet(tmp_path, make_settings(tmp_path)) as fleet:
        settings = make_settings(
            tmp_path, mqtt_host=fleet.broker.host, mqtt_port=fleet.broker.port,
            dynsec_username=ADMIN_USER, dynsec_password_file=fleet.admin_password_file)
        hub = Probe(fleet.broker, HUB_USER, fleet.creds[HUB_USER].password, client_id="hub-1")
        assert hub.connect()
        hub.subscribe(status_filter())
        with served(settings) as url:
            auth = {"Authorization": f"Bearer {admin_token(settings, fleet.engine)}"}
            made = httpx.post(f"{url}/api/v1/fleet/claim-codes", headers=auth, json={
                "site_id": 1, "kind": "kiosk", "device_code": "kiosk-new"})
            assert made.status_code == 201, made.text
            issued = made.json()
            conf = tmp_path / "device" / "agent.toml"
            password = tmp_path / "device" / "broker.password"
            args = ["claim", "--qr", issued["qr_text"], "--config-out", str(conf),
                    "--password-out", str(password),
                    "--store-path", str(tmp_path / "device" / "edge.db")]
            assert agent_main(args) == 0
            out = capsys.readouterr().out
            assert "claimed: device kiosk-new (kiosk) at site site-1" in out
            assert password.stat().st_mode & 0o777 == 0o600
            assert password.read_text().strip() not in out + conf.read_text()
            # The code worked once: a second device with the same QR is refused.
            again = ["claim", "--qr", issued["qr_text"], "--config-out",
                     str(tmp_path / "other.toml"), "--password-out", str(tmp_path / "other.pw"),
                     "--store-path", str(tmp_path / "other.db")]
            assert agent_main(again) == 3
            assert "used" in capsys.readouterr().err
            assert not (tmp_path / "other.toml").exists()

            config = load_config(conf)
            assert (config.site_id, config.device_id) == (SITE, "kiosk-new")
            agent = Agent(config.model_copy(update={"heartbeat_interval_s": 0.5}))
            agent.start()
            try:
                online = status_topic(SITE, "kiosk-new")

                def state() -> str | None:
                    for topic, raw in hub.received(0.05):
                        if topic == online:
                            payload = parse(raw, topic=topic).payload
                            assert isinstance(payload, DeviceStatus)
                            return payload.state
                    return None

                wait_for(lambda: state() == "online", 15, "the claimed device online")
                device_id = _device_id(url, auth, "kiosk-new")
                r = httpx.post(f"{url}/api/v1/fleet/devices/{device_id}/decommission",
                               headers=auth)
                assert r.status_code == 200, r.text
                assert r.json()["cut_off_now"] is True
                wait_for(lambda: not agent.session.connected, 1.0,
                         "the decommissioned device to be cut off")
                # Its login is gone: a fresh connection with it is refused.
                probe = Probe(fleet.broker, "kiosk-new", password.read_text().strip(),
                              client_id="kiosk-new")
                assert not probe.connect()
                probe.close()
            finally:
                agent.stop()
        hub.close()


def _device_id(url: str, auth: dict[str, str], code: str) -> int:
    listed = httpx.get(f"{url}/api/v1/fleet/claim-codes", headers=auth).json()
    return int(next(c["device_id"] for c in listed if c["device_code"] == code))


def test_decommission_button_cuts_the_device_off_at_once(tmp_path: Path) -> None:
    """The device page's button, through the broker's plugin: the connected device is dropped
    within a second and its login refused after."""
    from sqlmodel import Session

    from hub.models import Role, UserCreate
    from hub.services.users import create_user

    with dynsec_fleet(tmp_path, make_settings(tmp_path)) as fleet:
        settings = make_settings(
            tmp_path, mqtt_host=fleet.broker.host, mqtt_port=fleet.broker.port,
            dynsec_username=ADMIN_USER, dynsec_password_file=fleet.admin_password_file)
        with Session(fleet.engine) as s:
            create_user(session=s, data=UserCreate(username="boss", password="boss-pass-12345",
                                                   role=Role.ADMIN))
        password = fleet.creds["kiosk-2"].password
        device = Probe(fleet.broker, "kiosk-2", password, client_id="kiosk-2")
        assert device.connect()
        with served(settings) as url, httpx.Client(base_url=url, timeout=30) as admin:
            assert admin.post("/admin/login", data={"username": "boss",
                                                    "password": "boss-pass-12345"}
                              ).status_code == 302
            r = admin.post(f"/admin/fleet/devices/{fleet.ids['kiosk-2']}/decommission")
            assert r.status_code == 303 and r.headers["location"].endswith("decommissioned=now")
            wait_for(device.disconnected.is_set, 1.0, "the device to be cut off")
            page = admin.get(r.headers["location"] + "&lang=en").text
            assert "its connection dropped" in page and 'data-testid="device-inactive"' in page
        again = Probe(fleet.broker, "kiosk-2", password, client_id="kiosk-2")
        assert not again.connect()
        again.close()
        device.close()
