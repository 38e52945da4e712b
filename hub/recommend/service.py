"""Train and store a site's recommender from the hub's orders (``canteen-hub recommend train``).

The training set is the site's member orders of the last ``days`` days, as the site's local
wall-clock time saw them; the dish index is the site's current catalog (what its kiosks
show), and the catalog's categories, stations, tags and prices are the cold start's content
features. Each run stores a new version with its manifest and validation metrics.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.db_types import utcnow
from hub.downlinks.catalog import build_snapshot
from hub.models.orders import Order, OrderLine
from hub.models.recommend import RecommendModel
from hub.models.sites import Site
from models.recommend.bundle import make_bundle
from models.recommend.data import build_log
from models.recommend.train import DishContent, Progress, train
from protocol.payloads.catalog import CatalogSnapshot

log = logging.getLogger(__name__)


class NothingToTrain(LookupError):
    """A site with no catalog dishes: no model can rank an empty menu."""


@dataclass(frozen=True)
class Trained:
    """What one training run stored."""

    site: str
    version: int
    orders: int
    dishes: int
    size_bytes: int
    seconds: float
    metrics: dict[str, float]


def _order_rows(engine: Engine, site_id: int, since: datetime, tz: ZoneInfo,
                dishes: set[str]) -> list[tuple[str, datetime, str]]:
    o, line = Order.__table__.c, OrderLine.__table__.c  # type: ignore[attr-defined]
    query = (sa.select(o.member_id, o.placed_at, line.dish_code)
             .join_from(Order.__table__, OrderLine.__table__, line.order_id == o.id)  # type: ignore[attr-defined]
             .where(o.site_id == site_id, o.member_id.is_not(None), o.placed_at >= since))
    rows = []
    with engine.connect() as conn:
        for member_id, placed_at, code in conn.execute(query):
            if code in dishes:
                rows.append((str(member_id), placed_at.astimezone(tz).replace(tzinfo=None), code))
    return rows


def train_site(
    engine: Engine, site_code: str, *, days: int = 120, tune: bool = True,
    progress: Progress | None = None,
) -> Trained:
    """Train, bundle and store the next model version of one site."""
    started = time.perf_counter()
    env, _problems = build_snapshot(engine, site_code)
    catalog = env.payload_as(CatalogSnapshot)
    if not catalog.dishes:
        raise NothingToTrain(f"site {site_code} has no dishes in its catalog")
    with Session(engine) as session:
        site = session.exec(select(Site).where(Site.code == site_code)).one()
        site_id, tz = int(site.id or 0), ZoneInfo(site.timezone)
    dish_ids = [d.id for d in catalog.dishes]
    rows = _order_rows(engine, site_id, utcnow() - timedelta(days=days), tz, set(dish_ids))
    order_log = build_log(rows, dish_ids=dish_ids)
    content = [DishContent(d.category, d.station, tuple(d.tags), d.price_cents)
               for d in catalog.dishes]
    model = train(order_log, content=content, catalog_version=catalog.version, tune=tune,
                  progress=progress)
    with Session(engine) as session:
        last = session.exec(select(sa.func.max(col(RecommendModel.version)))
                            .where(RecommendModel.site_id == site_id)).one()
        version = int(last or 0) + 1
        metrics = {k: float(v) for k, v in model.params.items() if "@" in k}
        data, manifest = make_bundle(model, version=version, site=site_code, metrics=metrics)
        seconds = time.perf_counter() - started
        row = RecommendModel(
            site_id=site_id, version=version, catalog_version=catalog.version,
            sha256=manifest.sha256, size_bytes=manifest.size, dishes=model.n,
            orders_used=order_log.n_orders, train_seconds=round(seconds, 3),
            manifest=json.loads(manifest.to_json()), metrics=metrics, data=data)
        session.add(row)
        session.commit()
    log.info("recommender v%d of site %s: %d orders, %d dishes, %d bytes, %.1f s", version,
             site_code, order_log.n_orders, model.n, len(data), seconds)
    return Trained(site_code, version, order_log.n_orders, model.n, len(data), seconds, metrics)


def latest_model(engine: Engine, site_code: str) -> RecommendModel | None:
    """The site's newest stored model version, or None."""
    with Session(engine) as session:
        return session.exec(
            select(RecommendModel).join(Site, col(Site.id) == RecommendModel.site_id)
            .where(Site.code == site_code).order_by(col(RecommendModel.version).desc())
        ).first()


def model_version(engine: Engine, site_code: str, version: int) -> RecommendModel | None:
    """One stored version of a site's model, or None."""
    with Session(engine) as session:
        return session.exec(
            select(RecommendModel).join(Site, col(Site.id) == RecommendModel.site_id)
            .where(Site.code == site_code, RecommendModel.version == version)
        ).first()


def train_command(*, site_codes: list[str] | None, days: int, tune: bool,
                  progress: Progress | None, seed_history: bool = False,
                  publish: bool = False) -> int:
    """``canteen-hub recommend train``: every given (or active) site; the exit status."""
    from hub.db import make_engine
    from hub.downlinks.catalog import active_site_codes
    from hub.migrate import NOT_MIGRATED, is_migrated
    from hub.settings import Settings

    settings = Settings()
    engine = make_engine(settings)
    if not is_migrated(engine, schema=settings.db_schema):
        print(NOT_MIGRATED, file=sys.stderr)
        return 2
    status = 0
    for code in site_codes or active_site_codes(engine):
        try:
            if seed_history:
                from hub.recommend.history import seed_order_history

                written = seed_order_history(engine, code)
                if written:
                    print(f"site {code}: {written} orders of history written")
            done = train_site(engine, code, days=days, tune=tune, progress=progress)
        except (LookupError, ValueError) as err:
            print(f"\nsite {code}: not trained: {err}", file=sys.stderr)
            status = 3
            continue
        done_bar = getattr(progress, "done", None)
        if done_bar is not None:
            done_bar()
        print(f"site {done.site}: model v{done.version}, {done.orders} orders, {done.dishes}"
              f" dishes, {done.size_bytes} bytes, {done.seconds:.1f} s, {done.metrics}")
        if publish:
            from hub.downlinks.models import publish_latest_to_site
            from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher, PublishFailed

            try:
                with OneShotPublisher(BrokerTarget.from_settings(settings)) as pub:
                    sent = publish_latest_to_site(engine, code, pub)
            except PublishFailed as err:
                print(f"site {code}: model not published: {err}", file=sys.stderr)
                status = 3
                continue
            print(f"site {code}: model v{done.version} published to"
                  f" {', '.join(s.device for s in sent) or 'no kiosk'}")
    engine.dispose()
    return status
