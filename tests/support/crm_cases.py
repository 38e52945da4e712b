"""A small hub world for the complaints and campaigns tests: a site, two kiosks, members
(with and without marketing consent), a coupon template, and envelopes for orders and
feedback sent through the real ingest writer, as a 1.1 or an old 1.0 kiosk sends them."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.db import make_engine
from hub.ingest.classify import Inbound
from hub.ingest.writer import BatchWriter
from hub.models import Device, DeviceKind, Site
from hub.models.coupons import CouponTemplate
from hub.models.members import Member
from hub.settings import Settings
from protocol import encode, make_envelope, new_order_id
from tests.support.hub_db import migrated_engine

RICE = ("rice", "米饭", "Rice", 200, "main")
PORK = ("pork", "红烧肉", "Braised pork", 1_800, "wok")
NOODLES = ("noodles", "牛肉面", "Beef noodles", 1_200, "noodle")


def migrated_template(directory: Path) -> Path:
    """Migrate a hub database once (a module fixture); tests copy it (much faster)."""
    migrated_engine(directory).dispose()
    return directory


def fresh_engine(template: Path, directory: Path) -> Engine:
    """A copy of the migrated template database in ``directory``."""
    for f in template.iterdir():
        if f.is_file():
            shutil.copy(f, directory / f.name)
    return make_engine(Settings(demo_mode=True, data_dir=directory))


@dataclass
class World:
    """The seeded hub: engine, member ids by number, the coupon template's id, a writer."""

    engine: Engine
    members: dict[str, int]
    template_id: int
    writer: BatchWriter


def seed_world(engine: Engine, *, members: int = 4, consent_every: int = 1,
               created_at: datetime | None = None) -> World:
    """Site s1 with kiosks k1 and k2; members M001.. (every ``consent_every``-th one
    without marketing consent when > 1); a 5-yuan coupon template."""
    ids: dict[str, int] = {}
    with Session(engine) as session:
        session.add(Site(code="s1", name_zh="一食堂", name_en="Canteen 1"))
        session.flush()
        site = session.exec(select(Site)).one()
        for code in ("k1", "k2"):
            session.add(Device(code=code, kind=DeviceKind.KIOSK, site_id=site.id or 0))
        for i in range(1, members + 1):
            consent = consent_every <= 1 or i % consent_every != 0
            given = created_at or datetime(2025, 1, 1, tzinfo=UTC)
            m = Member(member_no=f"M{i:03d}", name=f"Member {i}",
                       consent_marketing_at=given if consent else None)
            if created_at is not None:
                m.created_at = created_at
            session.add(m)
            session.flush()
            ids[m.member_no] = m.id or 0
        template = CouponTemplate(code="five_off", name_zh="立减5元", name_en="5 yuan off",
                                  kind="amount_off", amount_cents=500, valid_days=14)
        session.add(template)
        session.commit()
        template_id = template.id or 0
    return World(engine, ids, template_id, BatchWriter(engine))


def envelope(kind: str, payload: dict[str, Any], *, device: str = "k1",
             sent_at: datetime | None = None, version: str | None = None) -> Inbound:
    """An uplink as a kiosk sends it; ``version="1.0"``: as an old kiosk sends it."""
    env = make_envelope(kind, payload, site="s1", device=device, sent_at=sent_at)
    raw = encode(env)
    if version is not None:
        doc = json.loads(raw)
        doc["schema_version"] = version
        raw = json.dumps(doc, ensure_ascii=False).encode()
    return Inbound(env.topic(), raw)


def placed(no: str, member_no: str | None, at: datetime, dishes: list[tuple[Any, ...]],
           *, order_id: str | None = None, version: str | None = None) -> tuple[str, Inbound]:
    """(order id, order.placed) paid by counter: one line per dish."""
    order_id = order_id or new_order_id()
    lines = [{"dish_id": d[0], "name_zh": d[1], "name_en": d[2], "qty": 1,
              "unit_price_cents": d[3], "line_total_cents": d[3], "station": d[4]}
             for d in dishes]
    total = sum(ln["line_total_cents"] for ln in lines)
    return order_id, envelope("order.placed", {
        "order_id": order_id, "order_no": no, "placed_at": at, "meal_period": "lunch",
        "member_id": member_no, "lines": lines, "subtotal_cents": total,
        "total_cents": total, "payments": [{"method": "counter", "amount_cents": total}],
        "paid": False}, sent_at=at, version=version)


def write_ok(world: World, batch: list[Inbound]) -> None:
    """Ingest the batch; every message must be stored."""
    outcomes = world.writer.write(batch)
    assert {o.result for o in outcomes} <= {"ok", "none"}, outcomes
