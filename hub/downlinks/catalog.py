"""Build a site's catalog.snapshot from the hub's tables and publish it retained at QoS 1.

The version grows by one whenever the content changes; publishing unchanged
content again re-sends the same version (devices ignore what is not newer).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine

from hub.db_types import utcnow
from hub.downlinks.catalog_terms import catalog_names, coupon_templates
from hub.downlinks.offers import site_offers
from hub.models import Dish, MealPeriod, Menu, MenuItem, SetMeal, SetMealItem, SetMealSlot, Site
from hub.models.ingest import CatalogVersion
from protocol import CatalogSnapshot, Envelope, encode, make_envelope
from protocol import Dish as WireDish

log = logging.getLogger(__name__)

HUB_ID = "hub"


class Publisher(Protocol):
    """What publishing needs of a client (a paho Client fits)."""

    def publish(self, topic: str, payload: bytes, qos: int = ..., retain: bool = ...) -> Any:
        """Publish one message."""
        ...


class UnknownSite(LookupError):
    """No active site with that code."""


@dataclass(frozen=True)
class Published:
    """A snapshot as published: site, version, topic, size."""

    site: str
    version: int
    topic: str
    size: int


def _t(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _content(conn: Connection, site_id: int) -> dict[str, Any]:
    """The snapshot's content (everything but version and time), as plain data."""
    mp, menu, item, dish = _t(MealPeriod).c, _t(Menu).c, _t(MenuItem).c, _t(Dish).c
    periods = {}
    for pid, code, zh, en, start, end in conn.execute(
        sa.select(mp.id, mp.code, mp.name_zh, mp.name_en, mp.start, mp.end)
        .where(mp.site_id == site_id).order_by(mp.start)
    ):
        if start == end:  # the wire reads end < start as "crosses midnight"; equal is empty
            log.warning("meal period %s starts and ends at %s: left out", code, start)
            continue
        periods[pid] = {"code": code, "name_zh": zh, "name_en": en,
                        "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
    dish_cols = (dish.id, dish.code, dish.name_zh, dish.name_en, dish.description_zh,
                 dish.description_en, dish.category, dish.price_cents, dish.member_price_cents,
                 dish.price_per_100g_cents, dish.tags, dish.allergens, dish.kcal, dish.station)
    rows = conn.execute(
        sa.select(menu.meal_period_id, item.available, item.sold_out, *dish_cols)
        .join_from(_t(Menu), _t(MenuItem), item.menu_id == menu.id)
        .join(_t(Dish), dish.id == item.dish_id)
        .where(menu.site_id == site_id, menu.active, dish.active)
        .order_by(menu.meal_period_id, item.sort_order, dish.code)
    ).all()
    dishes: dict[str, dict[str, Any]] = {}
    menus: dict[int, list[dict[str, Any]]] = {}
    sold_out: dict[str, bool] = {}
    for period_id, available, is_sold_out, _id, code, *rest in rows:
        if period_id not in periods:
            continue
        if code not in dishes:
            candidate = dict(zip(
                ("name_zh", "name_en", "description_zh", "description_en", "category",
                 "price_cents", "member_price_cents", "price_per_100g_cents", "tags",
                 "allergens", "kcal", "station"),
                rest, strict=True))
            candidate = {"id": code, **candidate, "tags": list(candidate["tags"] or []),
                         "allergens": list(candidate["allergens"] or [])}
            try:
                WireDish.model_validate(candidate)
            except ValidationError as err:
                log.warning("dish %s does not fit the wire, left out: %s", code, err)
                dishes[code] = {}
                continue
            dishes[code] = candidate
        if not dishes[code]:
            continue
        sold_out[code] = sold_out.get(code, True) and bool(is_sold_out)
        menus.setdefault(period_id, []).append({"dish_id": code, "available": bool(available)})
    wire_dishes = [{**d, "sold_out": sold_out[c]} for c, d in sorted(dishes.items()) if d]
    return {
        "meal_periods": list(periods.values()),
        "dishes": wire_dishes,
        "menus": [{"meal_period": periods[p]["code"], "items": items}
                  for p, items in menus.items()],
        "set_meals": _set_meals(conn, {d["id"] for d in wire_dishes},
                                {d["category"] for d in wire_dishes}),
        "offers": {**site_offers(conn, site_id), "coupon_templates": coupon_templates(conn)},
        **catalog_names(conn, wire_dishes),
    }


def _set_meals(conn: Connection, dish_codes: set[str], categories: set[str]) -> list[Any]:
    sm, smi, sms, dish = _t(SetMeal).c, _t(SetMealItem).c, _t(SetMealSlot).c, _t(Dish).c
    out = []
    for sid, code, zh, en, kind, price in conn.execute(
        sa.select(sm.id, sm.code, sm.name_zh, sm.name_en, sm.kind, sm.price_cents)
        .where(sm.active).order_by(sm.code)
    ):
        base = {"id": code, "name_zh": zh, "name_en": en, "price_cents": price}
        if kind == "fixed":
            ids = [c for c, qty in conn.execute(
                sa.select(dish.code, smi.qty).join_from(_t(SetMealItem), _t(Dish),
                                                        dish.id == smi.dish_id)
                .where(smi.set_meal_id == sid).order_by(smi.id)) for _ in range(qty)]
            if ids and set(ids) <= dish_codes:
                out.append({"kind": "fixed", **base, "dish_ids": ids})
        else:
            # The wire's slot is "choose count": the hub's max_picks is that count.
            slots = [{"category": c, "count": n} for c, n in conn.execute(
                sa.select(sms.category, sms.max_picks).where(sms.set_meal_id == sid)
                .order_by(sms.sort_order, sms.id))]
            if slots and {s["category"] for s in slots} <= categories:
                out.append({"kind": "build", **base, "slots": slots})
    return out


def next_snapshot(engine: Engine, site_code: str) -> Envelope:
    """Build the site's snapshot and commit its version (bumped only if the content changed)."""
    site = _t(Site).c
    cv = _t(CatalogVersion)
    with engine.begin() as conn:
        site_id = conn.execute(
            sa.select(site.id).where(site.code == site_code, site.active)
        ).scalar()
        if site_id is None:
            raise UnknownSite(f"no active site {site_code!r}")
        content = _content(conn, site_id)
        digest = hashlib.sha256(
            json.dumps(content, sort_keys=True, default=str).encode()
        ).hexdigest()
        row = conn.execute(
            sa.select(cv.c.version, cv.c.digest).where(cv.c.site_id == site_id)
            .with_for_update()
        ).first()
        now = utcnow()
        if row is None:
            version = 1
            conn.execute(cv.insert().values(site_id=site_id, version=1, digest=digest,
                                            published_at=now))
        else:
            version = row.version if row.digest == digest else row.version + 1
            conn.execute(cv.update().where(cv.c.site_id == site_id)
                         .values(version=version, digest=digest, published_at=now))
        snapshot = CatalogSnapshot.model_validate(
            {"version": version, "generated_at": now, **content}
        )
    return make_envelope("catalog.snapshot", snapshot, site=site_code, device=HUB_ID)


def publish_catalog(engine: Engine, site_code: str, publisher: Publisher) -> Published:
    """Build, version and publish one site's catalog (retained, QoS 1)."""
    env = next_snapshot(engine, site_code)
    raw = encode(env)
    topic = env.topic()
    publisher.publish(topic, raw, qos=env.spec.qos, retain=env.spec.retain)
    version = env.payload_as(CatalogSnapshot).version
    log.info("catalog v%d of site %s published (%d bytes)", version, site_code, len(raw))
    return Published(site_code, version, topic, len(raw))


def publish_all_catalogs(engine: Engine, publisher: Publisher) -> list[Published]:
    """Publish every active site's catalog (the worker does this when it connects)."""
    site = _t(Site).c
    with engine.connect() as conn:
        codes = list(conn.execute(sa.select(site.code).where(site.active)).scalars())
    return [publish_catalog(engine, code, publisher) for code in codes]
