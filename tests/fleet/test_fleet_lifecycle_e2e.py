"""Issue 16's whole chain, in order, on one Mosquitto run by the dynamic security plugin:
claim -> online -> command -> result -> staged rollout paused by a failing device ->
rollback -> decommission. The hub API (uvicorn), the ingest worker, the fleet monitor and
the edge agents run for real; every step is checked where an administrator looks, the
hub's API, and where it counts, on the devices."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge_agent.agent import Agent
from edge_agent.cli import main as agent_main
from edge_agent.config import load_config
from edge_agent.store import DeviceStore
from hub.downlinks.mqtt import BrokerTarget
from hub.models import DeviceKind
from tests.hub.conftest import make_settings
from tests.security.mqtt_probe import Probe
from tests.support.fleet import hub_workers, start_agent
from tests.support.fleet_access import (
    ADMIN_USER,
    HUB_USER,
    OTHER_SITE,
    SITE,
    DynsecFleet,
    admin_token,
    dynsec_fleet,
    served,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)

NEW = "kiosk-new"  # the device claimed during the test
# kiosk-1 runs; kiosk-2 is registered but never runs (the device that fails the rollout);
# kiosk-9, at the other site, is the rollout's second stage.
DEVICES = {"kiosk-1": (SITE, DeviceKind.KIOSK), "kiosk-2": (SITE, DeviceKind.KIOSK),
           "kiosk-9": (OTHER_SITE, DeviceKind.KIOSK)}


@dataclass
class Hub:
    """The running hub as an administrator reaches it, and the broker behind it."""

    api: httpx.Client
    fleet: DynsecFleet
    tmp: Path
    agents: list[Agent]  # stopped when the test ends

    def get(self, path: str) -> Any:
        r = self.api.get(path)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: dict[str, Any] | None = None, code: int = 200) -> Any:
        r = self.api.post(path, json=body)
        assert r.status_code == code, r.text
        return r.json()

    def row(self, code: str) -> dict[str, Any] | None:
        """The device's row on the fleet overview (active devices only)."""
        return next((d for d in self.get("/fleet/health") if d["code"] == code), None)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    with dynsec_fleet(tmp_path, make_settings(tmp_path), DEVICES) as fleet:
        hub_password = tmp_path / "hub-ingest.password"
        hub_password.write_text(fleet.creds[HUB_USER].password + "\n")
        settings = make_settings(
            tmp_path, mqtt_host=fleet.broker.host, mqtt_port=fleet.broker.port,
            mqtt_username=HUB_USER, mqtt_password_file=hub_password,
            dynsec_username=ADMIN_USER, dynsec_password_file=fleet.admin_password_file)
        target = BrokerTarget(fleet.broker.host, fleet.broker.port, HUB_USER, hub_password)
        token = admin_token(settings, fleet.engine)
        with (hub_workers(fleet.engine, target, "lifecycle",
                          fleet.creds[HUB_USER].password),
              served(settings) as url,
              httpx.Client(base_url=f"{url}/api/v1", timeout=30,
                           headers={"Authorization": f"Bearer {token}"}) as api):
            running = Hub(api, fleet, tmp_path, [])
            try:
                yield running
            finally:
                for agent in running.agents:
                    agent.stop()


def _device_config(store: Path, site: str, device: str) -> dict[str, Any] | None:
    """The settings the device's own store holds (what its kiosk app runs), or None."""
    with DeviceStore(store, site_id=site, device_id=device) as s:
        got = s.device_config()
        return None if got is None else got.model_dump()


def test_claim_online_command_rollout_paused_rollback_decommission(
    hub: Hub, capsys: pytest.CaptureFixture[str],
) -> None:
    tmp, fleet, agents = hub.tmp, hub.fleet, hub.agents
    # ---- 1. Claim: staff make a one-time code; the new device trades it and comes online.
    site_1 = hub.row("kiosk-1")
    assert site_1 is not None and site_1["presence"] == "unknown"  # not started yet
    issued = hub.post("/fleet/claim-codes", {"site_id": site_1["site_id"], "kind": "kiosk",
                                             "device_code": NEW}, code=201)
    conf, password = tmp / "device" / "agent.toml", tmp / "device" / "broker.password"
    store = tmp / "device" / "edge.db"
    assert agent_main(["claim", "--qr", issued["qr_text"], "--config-out", str(conf),
                       "--password-out", str(password), "--store-path", str(store)]) == 0
    assert f"claimed: device {NEW} (kiosk) at site {SITE}" in capsys.readouterr().out
    config = load_config(conf)
    new = Agent(config.model_copy(update={"heartbeat_interval_s": 0.5}))
    new.start()
    agents.append(new)
    agents.append(start_agent(tmp, fleet.broker, SITE, "kiosk-1",
                              password=fleet.creds["kiosk-1"].password))
    agents.append(start_agent(tmp, fleet.broker, OTHER_SITE, "kiosk-9",
                              password=fleet.creds["kiosk-9"].password))
    for code in (NEW, "kiosk-1", "kiosk-9"):
        def online(c: str = code) -> bool:
            r = hub.row(c)
            return r is not None and r["presence"] == "online" and r["heartbeat_at"] is not None

        wait_for(online, 20, f"{code} online with a heartbeat on the fleet page")
    row = hub.row(NEW)
    assert row is not None
    new_id = row["id"]
    assert (row["site_code"], row["kind"], row["active"]) == (SITE, "kiosk", True)
    assert row["app_version"] and row["dead_letters"] == 0
    # The code is used up, and linked to the device it made.
    used = next(c for c in hub.get("/fleet/claim-codes") if c["device_code"] == NEW)
    assert used["device_id"] == new_id

    # ---- 2. A command to the claimed device; its result comes back "ok".
    sent = hub.post(f"/fleet/devices/{new_id}/commands",
                    {"name": "refresh_catalog", "ttl_s": 60}, code=201)

    def command() -> dict[str, Any]:
        listed = hub.get(f"/fleet/devices/{new_id}/commands")
        return next(c for c in listed if c["id"] == sent["id"])

    wait_for(lambda: command()["status"] not in ("queued", "sent"), 20,
             lambda: f"the command's result: {command()}")
    done = command()
    assert (done["name"], done["status"]) == ("refresh_catalog", "ok")
    assert done["detail"].startswith("catalog asked for again")
    assert done["finished_at"] is not None

    # ---- 3. A config rollout, site-1 first (the claimed kiosk, kiosk-1 and kiosk-2), then
    # site-2. kiosk-2 never reports: 1 of 3 failed > 20 % -> the rollout pauses itself.
    ids = {d["code"]: d["id"] for d in hub.get("/fleet/health")}
    before = {c: hub.get(f"/fleet/devices/{ids[c]}/config") for c in ("kiosk-1", NEW)}
    stores = {NEW: (store, SITE), "kiosk-1": (tmp / "kiosk-1.db", SITE),
              "kiosk-9": (tmp / "kiosk-9.db", OTHER_SITE)}

    def on_device(code: str) -> dict[str, Any] | None:
        return _device_config(*stores[code], code)

    kiosk_9_before = on_device("kiosk-9")
    rollout = hub.post("/fleet/rollouts", {
        "kind": "config", "name": "list layout", "first_site_id": row["site_id"],
        "spec": {"changes": {"idle_reset_s": 45, "languages": ["zh_Hans", "en"],
                             "layout": "list"}},
        "step_timeout_s": 5, "max_failure_pct": 20}, code=201)
    rid = rollout["id"]
    stages = {t["device"]: t["stage"] for t in rollout["targets"]}
    assert stages == {NEW: 0, "kiosk-1": 0, "kiosk-2": 0, "kiosk-9": 1}

    wait_for(lambda: hub.get(f"/fleet/rollouts/{rid}")["status"] == "paused", 30,
             lambda: f"the rollout to pause itself: {hub.get(f'/fleet/rollouts/{rid}')}")
    paused = hub.get(f"/fleet/rollouts/{rid}")
    assert paused["stage"] == 0
    assert paused["reason"] == "paused automatically: 1 of 3 devices in stage 1 failed"
    targets = {t["device"]: t for t in paused["targets"]}
    assert {c: t["status"] for c, t in targets.items()} == {
        NEW: "ok", "kiosk-1": "ok", "kiosk-2": "failed", "kiosk-9": "pending"}
    assert targets["kiosk-2"]["detail"] == (
        f"did not report version {targets['kiosk-2']['target_version']} within 5 s")
    for code in (NEW, "kiosk-1"):
        cfg = hub.get(f"/fleet/devices/{ids[code]}/config")
        assert cfg["settings"]["layout"] == "list" and cfg["settings"]["idle_reset_s"] == 45
        assert str(cfg["reported_version"]) == targets[code]["target_version"]
        applied = on_device(code)
        assert applied is not None and applied["layout"] == "list"
        assert applied["version"] == cfg["version"]
    # The second stage never started: kiosk-9 runs what it ran before.
    assert on_device("kiosk-9") == kiosk_9_before

    # ---- Rollback: the devices it reached run their previous settings again (sent as a
    # newer version, which each device reports back).
    rolled = hub.post(f"/fleet/rollouts/{rid}/rollback")
    assert rolled["status"] == "rolled_back" and rolled["reason"] == "rolled back"
    assert {t["device"]: t["status"] for t in rolled["targets"]} == {
        NEW: "rolled_back", "kiosk-1": "rolled_back", "kiosk-2": "rolled_back",
        "kiosk-9": "pending"}
    for code in (NEW, "kiosk-1"):
        def back(c: str = code) -> bool:
            cfg = hub.get(f"/fleet/devices/{ids[c]}/config")
            return cfg["reported_version"] == cfg["version"] and cfg["version"] > int(
                targets[c]["target_version"])

        wait_for(back, 20, f"{code} to report its rolled-back settings")
        cfg = hub.get(f"/fleet/devices/{ids[code]}/config")
        assert cfg["settings"] == before[code]["settings"]
        restored = on_device(code)
        assert restored is not None and restored["version"] == cfg["version"]
        assert restored["layout"] == before[code]["settings"]["layout"]
        assert restored["idle_reset_s"] == before[code]["settings"]["idle_reset_s"]

    # ---- 4. Decommission the claimed device: cut off within a second, its login refused,
    # and the hub no longer counts it in the fleet.
    gone = hub.post(f"/fleet/devices/{new_id}/decommission")
    assert gone["cut_off_now"] is True and gone["had_login"] is True
    wait_for(lambda: not new.session.connected, 1.0, "the decommissioned device to be cut off")
    probe = Probe(fleet.broker, NEW, password.read_text().strip(), client_id=NEW)
    assert not probe.connect()
    probe.close()
    health = hub.get(f"/fleet/devices/{new_id}/health")
    assert health["device"]["active"] is False
    assert hub.row(NEW) is None
    assert {d["code"] for d in hub.get("/fleet/health")} == {"kiosk-1", "kiosk-2", "kiosk-9"}
