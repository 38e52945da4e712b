"""The recommender model downlink: one stored model version to one device (retained).

:func:`publish_model` is the one publisher: it sends a given (default: the newest) version
of a site's model to one device. The fleet's staged rollouts call it per device; without
a rollout, :func:`publish_latest_to_site` sends the newest version to every active kiosk.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.downlinks.catalog import HUB_ID, Publisher
from hub.models.devices import Device, DeviceKind
from hub.models.recommend import RecommendModel
from hub.models.sites import Site
from hub.recommend.service import latest_model, model_version
from protocol.codec import encode
from protocol.envelope import Envelope, make_envelope
from protocol.payloads.model import ModelManifest, RecommenderRelease

log = logging.getLogger(__name__)


class NoModel(LookupError):
    """The site has no stored model (of that version)."""


@dataclass(frozen=True)
class SentModel:
    """A model version as published to one device."""

    site: str
    device: str
    version: int
    topic: str
    size: int


def release_envelope(row: RecommendModel, site_code: str, device_code: str) -> Envelope:
    """The ``model.recommender`` message of a stored version for one device."""
    m = row.manifest
    manifest = ModelManifest(
        format=m["format"], version=row.version, sha256=row.sha256, size=row.size_bytes,
        site=site_code, catalog_version=row.catalog_version, created_at=m["created_at"],
        dish_ids=tuple(m["dish_ids"]), tags=tuple(m["tags"]), periods=tuple(m["periods"]),
        half_life_days=m["half_life_days"], other_period_weight=m["other_period_weight"],
        sentinel=m["sentinel"])
    release = RecommenderRelease(manifest=manifest,
                                 data_b64=base64.b64encode(row.data).decode("ascii"))
    env = make_envelope("model.recommender", release, site=site_code, device=HUB_ID)
    env.topic(device_code)  # validates the device code as a topic segment
    return env


def publish_model(
    engine: Engine, site_code: str, device_code: str, publisher: Publisher, *,
    version: int | None = None,
) -> SentModel:
    """Publish one version (default: the newest) of a site's model to one device."""
    row = (latest_model(engine, site_code) if version is None
           else model_version(engine, site_code, version))
    if row is None:
        raise NoModel(f"site {site_code} has no model" +
                      ("" if version is None else f" version {version}"))
    env = release_envelope(row, site_code, device_code)
    raw = encode(env)
    topic = env.topic(device_code)
    publisher.publish(topic, raw, qos=env.spec.qos, retain=env.spec.retain)
    log.info("model v%d of site %s published to %s (%d bytes)", row.version, site_code,
             device_code, len(raw))
    return SentModel(site_code, device_code, row.version, topic, len(raw))


def publish_latest_to_site(engine: Engine, site_code: str,
                           publisher: Publisher) -> list[SentModel]:
    """The newest version to every active kiosk of the site (no rollout stages)."""
    with Session(engine) as session:
        codes = session.exec(
            select(Device.code).join(Site, col(Site.id) == Device.site_id)
            .where(Site.code == site_code, col(Device.active).is_(True),
                   Device.kind == DeviceKind.KIOSK)
            .order_by(col(Device.code))
        ).all()
    return [publish_model(engine, site_code, code, publisher) for code in codes]
