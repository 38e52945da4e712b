"""The fleet monitor: presence from retained status, and the fleet's clock (commands, rollouts).

One process (``canteen-hub fleet monitor``, or ``python -m hub.fleet.monitor``) that
subscribes to every device's retained status topic (``online`` on connect, ``offline`` as
the last will) and records presence; every ``tick_s`` it sends commands still queued,
marks overdue ones expired, advances running rollouts, and opens or closes alerts.
Heartbeats are not read here: ingest folds them into the health summary in its own batch
transaction (hub.fleet.health.note_heartbeats).
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.db_types import utcnow
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher, PublishFailed
from hub.fleet import alerts, commands, health, rollouts
from hub.models.devices import Device
from hub.models.fleet_health import FleetCommand
from hub.models.sites import Site
from protocol import parse
from protocol.errors import ProtocolError
from protocol.payloads.device import DeviceStatus
from protocol.topics import status_filter

log = logging.getLogger(__name__)

TICK_S = 5.0
T_DEVICE = Device.__table__  # type: ignore[attr-defined]
T_SITE = Site.__table__  # type: ignore[attr-defined]
PUBLISH_TIMEOUT_S = 5.0


def expiry_properties(expiry_s: int | None) -> Properties | None:
    """MQTT v5 PUBLISH properties with a message expiry (None: no expiry)."""
    if expiry_s is None:
        return None
    props = Properties(PacketTypes.PUBLISH)
    props.MessageExpiryInterval = max(1, int(expiry_s))
    return props


class ExpiringPublisher(OneShotPublisher):
    """The API's one-shot publisher, with an optional MQTT message expiry per publish."""

    def __enter__(self) -> ExpiringPublisher:
        super().__enter__()
        return self

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                expiry_s: int | None = None) -> Any:
        """Publish (with expiry) and wait for the broker's PUBACK."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain,
                                   properties=expiry_properties(expiry_s))
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as err:
            raise PublishFailed(f"publish to {topic} failed: {err}") from err
        if not info.is_published():
            raise PublishFailed(f"publish to {topic} not confirmed in {self.timeout}s")
        return info


def record_status(engine: Engine, topic: str, raw: bytes) -> bool:
    """Apply one retained status message; False if it was refused or unknown."""
    try:
        env = parse(raw, topic=topic)
        status = env.payload_as(DeviceStatus)
    except ProtocolError as err:
        log.warning("status on %s refused: %s", topic[:200], err)
        return False
    with engine.begin() as conn:
        dev, site = T_DEVICE.c, T_SITE.c
        device_id = conn.execute(
            sa.select(dev.id).join(T_SITE, site.id == dev.site_id)
            .where(dev.code == env.device, site.code == env.site)
        ).scalar()
        if device_id is None:
            log.info("status of unknown device %s/%s ignored", env.site, env.device)
            return False
        return health.note_status(conn, device_id=device_id, state=status.state,
                                  sent_at=env.sent_at, app_version=status.app_version)


class FleetMonitor:
    """Subscribes to device status and ticks commands, rollouts and alerts."""

    def __init__(self, engine: Engine, target: BrokerTarget, *, tick_s: float = TICK_S,
                 client_id: str | None = None) -> None:
        self.engine = engine
        self.target = target
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"canteen-fleet-{uuid.uuid4().hex[:8]}",
                                  protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.statuses = 0
        self._last_prune = 0.0

    # ---- MQTT ------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any,
                    _p: Any = None) -> None:
        if reason.is_failure:
            log.warning("fleet monitor: broker refused the connection: %s", reason)
            return
        # Subscribing in on_connect re-subscribes after every reconnect (paho's advice).
        client.subscribe(status_filter(), qos=1)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            if record_status(self.engine, msg.topic, bytes(msg.payload)):
                self.statuses += 1
        except sa.exc.SQLAlchemyError:
            log.exception("fleet monitor: status not recorded")

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                expiry_s: int | None = None) -> Any:
        """Publish through the monitor's own connection and wait for the PUBACK."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain,
                                   properties=expiry_properties(expiry_s))
        try:
            info.wait_for_publish(PUBLISH_TIMEOUT_S)
        except (RuntimeError, ValueError) as err:
            raise PublishFailed(f"publish to {topic} failed: {err}") from err
        if not info.is_published():
            raise PublishFailed(f"publish to {topic} not confirmed")
        return info

    # ---- ticks -----------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> None:
        """Commands queued are sent (or expire), rollouts advance, alerts are evaluated."""
        now = now or utcnow()
        with Session(self.engine) as session:
            queued = [c.id for c in session.exec(
                select(FleetCommand).where(FleetCommand.status == "queued")
                .order_by(col(FleetCommand.id)))]
        for pk in queued:
            assert pk is not None
            try:
                commands.send_command(self.engine, command_pk=pk, publisher=self, now=now)
            except PublishFailed as err:
                log.warning("command %s not sent yet: %s", pk, err)
                break
        with self.engine.begin() as conn:
            commands.expire_overdue(conn, now=now)
        try:
            rollouts.tick(self.engine, self, now=now)
        except PublishFailed as err:
            log.warning("rollout round stopped: %s", err)
        with self.engine.begin() as conn:
            alerts.evaluate(conn, now=now)
            if time.monotonic() - self._last_prune > 3600:
                health.prune_buckets(conn, now=now)
                self._last_prune = time.monotonic()

    def start(self) -> None:
        """Connect and run in a background thread."""
        self.target.configure(self.client)
        self.client.connect(self.target.host, self.target.port, keepalive=30)
        self.client.loop_start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fleet-monitor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.client.is_connected():
                    self.tick()
            except Exception:
                # One bad round must not end the monitor; the next one tries again.
                log.exception("fleet monitor round failed")
            self._stop.wait(self.tick_s)

    def stop(self) -> None:
        """Stop ticking and disconnect."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.client.disconnect()
        self.client.loop_stop()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hub.fleet.monitor``: run until SIGTERM / Ctrl-C."""
    from hub.db import make_engine
    from hub.settings import Settings

    parser = argparse.ArgumentParser(prog="canteen-hub fleet monitor",
                                     description="device presence, commands, rollouts, alerts")
    parser.add_argument("--tick", type=float, default=TICK_S, help="seconds between rounds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    settings = Settings()
    engine = make_engine(settings)
    monitor = FleetMonitor(engine, BrokerTarget.from_settings(settings), tick_s=args.tick)
    monitor.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        monitor.stop()
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
