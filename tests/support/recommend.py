"""Recommender test helpers: a tiny synthetic canteen, a trained tiny model, model releases."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime

from models.recommend.bundle import make_bundle
from models.recommend.data import menu_matrix
from models.recommend.model import RecommendModel
from models.recommend.synth import Canteen, generate
from models.recommend.train import DishContent, train
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.model import ModelManifest, RecommenderRelease

SITE = "site1"


def tiny_canteen(seed: int = 3) -> Canteen:
    """120 members, 3 weeks, 50 dishes: trains in well under a second."""
    return generate(seed, members=120, days=21, dishes=50)


def content_of(canteen: Canteen) -> list[DishContent]:
    """The canteen's dishes as the cold start's content features."""
    return [DishContent(d.category, d.station, d.tags, d.price_cents) for d in canteen.dishes]


def tiny_model(canteen: Canteen, *, tune: bool = False, catalog_version: int = 1) -> RecommendModel:
    """A model of the tiny canteen (default blend weights unless ``tune``)."""
    return train(canteen.log, menus=menu_matrix(canteen.menus(), canteen.log.dish_ids),
                 content=content_of(canteen), tune=tune, catalog_version=catalog_version)


def release(model: RecommendModel, version: int, *, site: str = SITE,
            data: bytes | None = None, **manifest: object) -> RecommenderRelease:
    """A ``model.recommender`` payload; ``data`` replaces the file, ``manifest`` overrides."""
    blob, m = make_bundle(model, version=version, site=site,
                          created_at=datetime(2026, 3, 1, tzinfo=UTC))
    raw = json.loads(m.to_json())
    wire = ModelManifest(
        format=raw["format"], version=version, sha256=raw["sha256"], size=raw["size"],
        site=site, catalog_version=raw["catalog_version"], created_at=raw["created_at"],
        dish_ids=tuple(raw["dish_ids"]), tags=tuple(raw["tags"]), periods=tuple(raw["periods"]),
        half_life_days=raw["half_life_days"], other_period_weight=raw["other_period_weight"])
    if manifest:
        wire = ModelManifest.model_validate({**wire.model_dump(), **manifest})
    return RecommenderRelease(manifest=wire,
                              data_b64=base64.b64encode(blob if data is None else data).decode())


def catalog_of(canteen: Canteen, version: int = 1, dishes: int | None = None) -> CatalogSnapshot:
    """A wire catalog holding the canteen's dishes (the first ``dishes`` of them)."""
    chosen = canteen.dishes[: dishes or len(canteen.dishes)]
    return CatalogSnapshot.model_validate({
        "version": version, "generated_at": datetime(2026, 3, 1, tzinfo=UTC),
        "meal_periods": [{"code": "lunch", "name_zh": "午餐", "name_en": "Lunch",
                          "start": "10:30", "end": "14:00"}],
        "dishes": [{"id": d.id, "name_zh": d.name_zh, "name_en": d.name_en,
                    "category": d.category, "price_cents": d.price_cents,
                    "tags": [t for t in d.tags if t != "light"], "allergens": list(d.allergens),
                    "station": d.station} for d in chosen],
        "menus": [{"meal_period": "lunch", "items": [{"dish_id": d.id} for d in chosen]}],
    })


def save_catalog(conn: sqlite3.Connection, catalog: CatalogSnapshot) -> None:
    """Put a catalog in a device store's downlink state, as the applier would."""
    conn.execute(
        "INSERT OR REPLACE INTO downlink_state (kind, version, payload, applied_at)"
        " VALUES ('catalog', ?, ?, 0)", (catalog.version, catalog.model_dump_json()))
    conn.commit()
