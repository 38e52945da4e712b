"""Build and publish one device's settings (device.config, retained on its config topic)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.db_types import utcnow
from hub.downlinks.catalog import HUB_ID, Publisher
from hub.errors import NotFoundError
from hub.models import Device, DeviceKind, Site
from hub.models.downlinks import DeviceConfigIn, DeviceConfigRow
from protocol import encode, make_envelope
from protocol.payloads.config import DeviceConfig

log = logging.getLogger(__name__)

MODE_BY_KIND = {DeviceKind.KIOSK: "diner", DeviceKind.KDS: "kds", DeviceKind.PICKUP: "pickup"}


@dataclass(frozen=True)
class ConfigPublished:
    """What was pushed to a device."""

    device: str
    version: int
    topic: str
    config: DeviceConfig


def _content(row: DeviceConfigRow, kind: DeviceKind) -> dict[str, object]:
    return {"order_prefix": row.order_prefix, "heartbeat_interval_s": row.heartbeat_interval_s,
            "idle_reset_s": row.idle_reset_s, "offline_sales": row.offline_sales,
            "mode": MODE_BY_KIND[DeviceKind(kind)],
            # Fleet settings (issue 16): only those set, so a 1.0 config keeps its digest.
            **{k: v for k, v in (row.options or {}).items() if v is not None}}


def publish_device_config(
    engine: Engine, *, device_id: int, changes: DeviceConfigIn | None, publisher: Publisher
) -> ConfigPublished:
    """Apply changes, bump the version if the content changed, publish retained, QoS 1."""
    with Session(engine) as session:
        device = session.get(Device, device_id)
        if device is None:
            raise NotFoundError(f"device {device_id} not found")
        site = session.get(Site, device.site_id)
        assert site is not None
        row = session.get(DeviceConfigRow, device_id) or DeviceConfigRow(device_id=device_id)
        for key, value in (changes.model_dump(exclude_unset=True) if changes else {}).items():
            setattr(row, key, value)
        content = _content(row, device.kind)
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
        if row.digest and row.digest != digest:
            row.version += 1
        row.digest = digest
        config = DeviceConfig.model_validate({"version": row.version, **content})
        env = make_envelope("device.config", config, site=site.code, device=HUB_ID)
        topic = env.topic(to_device=device.code)
        # Committed before publishing: a failed publish leaves a version nobody has
        # seen, which the next push (same content, same version) publishes again.
        row.published_at = utcnow()
        session.add(row)
        session.commit()
        code = device.code
    publisher.publish(topic, encode(env), qos=env.spec.qos, retain=env.spec.retain)
    log.info("device.config v%d pushed to %s", config.version, code)
    return ConfigPublished(code, config.version, topic, config)
