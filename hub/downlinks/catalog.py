"""Build a site's catalog.snapshot from the hub's tables and publish it retained at QoS 1.

The version grows by one whenever the content changes; publishing unchanged
content again re-sends the same version (devices ignore what is not newer).

Every row is checked against the wire on its own: a row the wire refuses (a meal period
code such as ``late-snack`` written straight into the database, a dish over a wire
limit) is left out with a warning and recorded for staff (``hub.downlinks.status``); a
catalog that still cannot be built raises ``CatalogRefused`` for that site alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.engine import Connection, Engine

from hub.db_types import utcnow
from hub.downlinks.catalog_terms import catalog_names, coupon_templates
from hub.downlinks.offers import site_offers
from hub.downlinks.status import (
    CATALOG,
    CatalogRefused,
    Problem,
    Problems,
    first_error,
    record,
    record_failure,
)
from hub.models import Dish, MealPeriod, Menu, MenuItem, SetMeal, SetMealItem, SetMealSlot, Site
from hub.models.ingest import CatalogVersion
from hub.supply.stock import origins
from protocol import CatalogSnapshot, Envelope, encode, make_envelope
from protocol import Dish as WireDish
from protocol.errors import MessageTooLarge
from protocol.payloads.catalog import MealPeriod as WireMealPeriod
from protocol.payloads.catalog import SetMeal as WireSetMeal

log = logging.getLogger(__name__)

HUB_ID = "hub"
_wire_set_meal: TypeAdapter[Any] = TypeAdapter(WireSetMeal)


class Publisher(Protocol):
    """What publishing needs of a client (a paho Client fits)."""

    def publish(self, topic: str, payload: bytes, qos: int = ..., retain: bool = ...) -> Any:
        """Publish one message."""
        ...


class UnknownSite(LookupError):
    """No active site with that code."""


@dataclass(frozen=True)
class Published:
    """A snapshot as published: site, version, topic, size, rows left out."""

    site: str
    version: int
    topic: str
    size: int
    problems: tuple[Problem, ...] = ()


def _t(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _content(conn: Connection, site_id: int, problems: Problems) -> dict[str, Any]:
    """The snapshot's content (everything but version and time), as plain data."""
    mp, menu, item, dish = _t(MealPeriod).c, _t(Menu).c, _t(MenuItem).c, _t(Dish).c
    periods = {}
    for pid, code, zh, en, start, end in conn.execute(
        sa.select(mp.id, mp.code, mp.name_zh, mp.name_en, mp.start, mp.end)
        .where(mp.site_id == site_id).order_by(mp.start, mp.code)
    ):
        # The wire reads end < start as "crosses midnight"; equal is refused as empty.
        period = {"code": code, "name_zh": zh, "name_en": en,
                  "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
        try:
            WireMealPeriod.model_validate(period)
        except ValidationError as err:
            problems.note("meal_period", code, f"{first_error(err)} (its menu is left out too)")
            continue
        periods[pid] = period
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
                problems.note("dish", code, first_error(err))
                dishes[code] = {}
                continue
            dishes[code] = candidate
        if not dishes[code]:
            continue
        sold_out[code] = sold_out.get(code, True) and bool(is_sold_out)
        listed = menus.setdefault(period_id, [])
        if all(i["dish_id"] != code for i in listed):  # two active menus of one period
            listed.append({"dish_id": code, "available": bool(available)})
    wire_dishes = [{**d, "sold_out": sold_out[c]} for c, d in sorted(dishes.items()) if d]
    _add_origins(conn, site_id, wire_dishes)
    return {
        "meal_periods": list(periods.values()),
        "dishes": wire_dishes,
        "menus": [{"meal_period": periods[p]["code"], "items": items}
                  for p, items in menus.items()],
        "set_meals": _set_meals(conn, {d["id"] for d in wire_dishes},
                                {d["category"] for d in wire_dishes}, problems),
        "offers": {**site_offers(conn, site_id, problems),
                   "coupon_templates": coupon_templates(conn, problems)},
        **catalog_names(conn, wire_dishes, problems),
    }


def _add_origins(conn: Connection, site_id: int, wire_dishes: list[dict[str, Any]]) -> None:
    """Where the canteen publishes them, each dish's main ingredients' supplier and lot date
    (hub.supply.stock.origins; 1.1). Left out entirely otherwise, so a catalog without
    origins is byte-for-byte what it was before."""
    found = origins(conn, site_id)
    for dish in wire_dishes:
        shown = found.get(dish["id"])
        if shown:
            dish["origins"] = [
                {"ingredient_zh": o.ingredient_zh, "ingredient_en": o.ingredient_en,
                 "supplier_zh": o.supplier_zh, "supplier_en": o.supplier_en,
                 "lot_date": o.lot_date.isoformat()} for o in shown]


def _set_meals(
    conn: Connection, dish_codes: set[str], categories: set[str], problems: Problems
) -> list[Any]:
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
            candidate = ({"kind": "fixed", **base, "dish_ids": ids}
                         if ids and set(ids) <= dish_codes else None)
        else:
            # The wire's slot is "choose count": the hub's max_picks is that count.
            slots = [{"category": c, "count": n} for c, n in conn.execute(
                sa.select(sms.category, sms.max_picks).where(sms.set_meal_id == sid)
                .order_by(sms.sort_order, sms.id))]
            candidate = ({"kind": "build", **base, "slots": slots}
                         if slots and {s["category"] for s in slots} <= categories else None)
        if candidate is None:  # not (all) on this site's menus: not offered here
            continue
        try:
            _wire_set_meal.validate_python(candidate)
        except ValidationError as err:
            problems.note("set_meal", code, first_error(err))
            continue
        out.append(candidate)
    return out


def next_snapshot(engine: Engine, site_code: str) -> Envelope:
    """Build the site's snapshot and commit its version (see ``build_snapshot``)."""
    return build_snapshot(engine, site_code)[0]


def build_snapshot(engine: Engine, site_code: str) -> tuple[Envelope, Problems]:
    """Build the site's snapshot and commit its version (bumped only if the content changed).

    Returns the envelope and the rows left out; raises CatalogRefused (recorded for staff)
    when even without them the wire would refuse the catalog.
    """
    site = _t(Site).c
    cv = _t(CatalogVersion)
    problems = Problems(site_code)
    refused: str | None = None
    with engine.begin() as conn:
        site_id = conn.execute(
            sa.select(site.id).where(site.code == site_code, site.active)
        ).scalar()
        if site_id is None:
            raise UnknownSite(f"no active site {site_code!r}")
        content = _content(conn, site_id, problems)
        now = utcnow()
        try:  # before the version moves: a refused catalog leaves the version as it was
            CatalogSnapshot.model_validate({"version": 1, "generated_at": now, **content})
        except ValidationError as err:
            refused = f"catalog of site {site_code} not sent: {first_error(err)}"
            record(conn, site_id=site_id, kind=CATALOG, problems=problems, error=refused)
        else:
            digest = hashlib.sha256(
                json.dumps(content, sort_keys=True, default=str).encode()
            ).hexdigest()
            row = conn.execute(
                sa.select(cv.c.version, cv.c.digest).where(cv.c.site_id == site_id)
                .with_for_update()
            ).first()
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
            record(conn, site_id=site_id, kind=CATALOG, problems=problems)
    if refused is not None:
        log.warning("%s", refused)
        raise CatalogRefused(refused)
    return make_envelope("catalog.snapshot", snapshot, site=site_code, device=HUB_ID), problems


def publish_catalog(
    engine: Engine, site_code: str, publisher: Publisher, *, unless_version: int | None = None
) -> Published | None:
    """Build, version and publish one site's catalog (retained, QoS 1).

    ``unless_version``: the version this caller last published; when the build comes out
    at that version (content unchanged) nothing is sent and None is returned.
    """
    env, problems = build_snapshot(engine, site_code)
    version = env.payload_as(CatalogSnapshot).version
    if version == unless_version:
        return None
    try:
        raw = encode(env)
    except MessageTooLarge as err:  # a site's data, not a fault of the hub: say so, for it alone
        refused = f"catalog of site {site_code} not sent: {err}"
        log.warning("%s", refused)
        record_failure(engine, site_code=site_code, kind=CATALOG, error=refused)
        raise CatalogRefused(refused) from err
    topic = env.topic()
    publisher.publish(topic, raw, qos=env.spec.qos, retain=env.spec.retain)
    log.info("catalog v%d of site %s published (%d bytes, %d rows left out)", version,
             site_code, len(raw), len(problems))
    return Published(site_code, version, topic, len(raw), tuple(problems))


def active_site_codes(engine: Engine) -> list[str]:
    """Codes of the active sites, in code order."""
    site = _t(Site).c
    with engine.connect() as conn:
        return list(conn.execute(sa.select(site.code).where(site.active)
                                 .order_by(site.code)).scalars())


def publish_all_catalogs(engine: Engine, publisher: Publisher) -> list[Published]:
    """Publish every active site's catalog (the worker does this when it connects).

    A site whose catalog cannot be built is skipped (logged, recorded for staff); the
    others still go out. A broker failure (PublishFailed) ends the round.
    """
    out = []
    for code in active_site_codes(engine):
        try:
            done = publish_catalog(engine, code, publisher)
        except (CatalogRefused, UnknownSite) as err:
            log.warning("catalog of site %s skipped: %s", code, err)
            continue
        if done is not None:
            out.append(done)
    return out
