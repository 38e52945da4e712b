"""Hypothesis strategies that build valid payloads of every registered message type."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import strategies as st

from protocol import (
    FEEDBACK_TAGS,
    Ack,
    BuildSetMeal,
    CachedMember,
    CatalogSnapshot,
    DeviceConfig,
    DeviceHeartbeat,
    DeviceStatus,
    Dish,
    EventAck,
    FeedbackGiven,
    FixedSetMeal,
    MealPeriod,
    MemberCacheDelta,
    Menu,
    MenuItem,
    Modifier,
    OrderLine,
    OrderPlaced,
    Payment,
    SetMealSlot,
    new_message_id,
    new_order_id,
)
from protocol.face import FaceEnrolled, FaceTemplate, seal_template
from protocol.fields import WireModel
from protocol.payloads.bookings import (
    BookedMeal,
    BookingsSnapshot,
    PlannedDish,
    PortionsRecorded,
    RecordedDish,
)
from protocol.payloads.catalog import Category, Station
from protocol.payloads.command import COMMAND_NAMES, CommandResult, DeviceCommand
from protocol.payloads.kitchen import OrderStateChanged
from protocol.payloads.model import ModelManifest, RecommenderRelease
from protocol.payloads.offers import CouponTemplate, Offers, Window
from protocol.payloads.portions import PortionsPrepared, PortionsSold, SoldCount
from protocol.payloads.pricing_context import PricingContext, SetMealChoice, SlotPick

identifiers = st.from_regex(r"[A-Za-z0-9_.-]{1,24}", fullmatch=True).filter(
    lambda s: s not in (".", "..")
)
codes = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
    min_size=1,
    max_size=20,
).filter(lambda s: bool(s.strip()))
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=60
)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
uuid7s = st.builds(new_message_id)
cents = st.integers(0, 50_000)


@st.composite
def order_lines(draw: st.DrawFn) -> OrderLine:
    """A counted or weighed line whose total is consistent."""
    mods = draw(
        st.lists(
            st.builds(
                Modifier,
                code=codes,
                name_zh=names,
                name_en=names,
                price_delta_cents=st.integers(-300, 500),
            ),
            max_size=3,
        )
    )
    unit = draw(cents)
    unit = max(unit, -sum(m.price_delta_cents for m in mods))
    qty = draw(st.integers(1, 9))
    weighed = draw(st.booleans())
    weight = draw(st.integers(1, 3000)) if weighed else None
    total = draw(cents) if weighed else qty * (unit + sum(m.price_delta_cents for m in mods))
    return OrderLine(
        dish_id=draw(identifiers),
        name_zh=draw(names),
        name_en=draw(names),
        qty=qty,
        unit_price_cents=unit,
        weight_g=weight,
        modifiers=tuple(mods),
        line_total_cents=total,
        station=draw(codes),
    )


@st.composite
def orders(draw: st.DrawFn) -> OrderPlaced:
    """An order whose lines, discount and payments add up."""
    lines = draw(st.lists(order_lines(), min_size=1, max_size=4))
    subtotal = sum(line.line_total_cents for line in lines)
    discount = draw(st.integers(0, subtotal))
    total = subtotal - discount
    n_payments = draw(st.integers(1 if total else 0, 3))
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=max(n_payments - 1, 0),
                                max_size=max(n_payments - 1, 0))))
    bounds = [0, *cuts, total] if n_payments else [0]
    methods = draw(
        st.lists(
            st.sampled_from(["subsidy", "coupon", "points", "stored_value", "counter"]),
            min_size=n_payments,
            max_size=n_payments,
        )
    )
    payments = tuple(
        Payment(method=m, amount_cents=bounds[i + 1] - bounds[i],
                reference=draw(st.none() | identifiers))
        for i, m in enumerate(methods)
    )
    at_counter = any(p.method == "counter" and p.amount_cents > 0 for p in payments)
    pricing = draw(st.none() | pricing_contexts(len(lines)))
    return OrderPlaced(
        order_id=new_order_id(),
        order_no=draw(st.from_regex(r"[A-Z][0-9]{3}", fullmatch=True)),
        placed_at=draw(times),
        meal_period=draw(codes),
        member_id=draw(st.none() | identifiers),
        lines=tuple(lines),
        subtotal_cents=subtotal,
        discount_cents=discount,
        total_cents=total,
        payments=payments,
        paid=not at_counter,
        offline=draw(st.booleans()),
        pricing=pricing,
    )


@st.composite
def pricing_contexts(draw: st.DrawFn, n_lines: int) -> PricingContext:
    """A pricing block whose set-meal picks name distinct lines of an ``n_lines`` order."""
    free = draw(st.permutations(range(n_lines)))
    n_sets = draw(st.integers(0, min(2, n_lines)))
    sets, start = [], 0
    for n in range(n_sets):
        size = draw(st.integers(1, max(1, (n_lines - start) // (n_sets - n))))
        picks = tuple(SlotPick(slot=draw(identifiers), line=i) for i in free[start:start + size])
        start += size
        if picks:
            sets.append(SetMealChoice(offer_code=draw(identifiers), picks=picks))
    coupon = draw(st.none() | identifiers)
    return PricingContext(
        rules_version=draw(st.sampled_from(["", "1"])),
        catalog_version=draw(st.none() | st.integers(1, 10**6)),
        line_ids=draw(st.sampled_from([(), tuple(f"L{i:03d}" for i in range(n_lines))])),
        set_meals=tuple(sets),
        coupon_id=coupon,
        coupon_template=draw(st.none() | codes) if coupon else None,
        use_points=draw(st.booleans()),
        tier=draw(st.none() | codes),
        member_prices=draw(st.booleans()),
        offers_applied=tuple(draw(st.lists(identifiers, max_size=3, unique=True))),
    )


feedbacks = st.builds(
    FeedbackGiven,
    order_id=uuid7s,
    rating=st.integers(1, 5),
    tags=st.lists(st.sampled_from(sorted(FEEDBACK_TAGS)), unique=True, max_size=4).map(tuple),
    comment=st.none() | texts,
    member_id=st.none() | identifiers,
)

heartbeats = st.builds(
    DeviceHeartbeat,
    queue_depth=st.integers(0, 10**6),
    oldest_unsent_age_s=st.none() | st.integers(0, 10**7),
    last_sync_at=st.none() | times,
    catalog_version=st.none() | st.integers(0, 10**6),
    model_version=st.none() | identifiers,
    config_version=st.none() | st.integers(0, 10**6),
    disk_free_mb=st.integers(0, 10**6),
    hardware=st.dictionaries(codes, st.sampled_from(["ok", "offline", "paper_out"]), max_size=4),
    uptime_s=st.integers(0, 10**8),
    app_version=st.from_regex(r"[0-9]\.[0-9]{1,2}\.[0-9]", fullmatch=True),
)

statuses = st.builds(
    DeviceStatus,
    state=st.sampled_from(["online", "offline"]),
    app_version=st.none() | identifiers,
)

acks = st.builds(
    EventAck,
    acks=st.lists(
        st.builds(
            Ack,
            message_id=uuid7s,
            result=st.sampled_from(["ok", "duplicate", "conflict", "rejected"]),
            reason=identifiers,
        ),
        min_size=1,
        max_size=5,
    ).map(tuple),
)


@st.composite
def catalogs(draw: st.DrawFn) -> CatalogSnapshot:
    """A catalog whose menus and set meals only reference dishes and categories it has."""
    period_codes = draw(st.lists(codes, min_size=1, max_size=3, unique=True))
    periods = tuple(
        MealPeriod(code=c, name_zh=draw(names), name_en=draw(names), start="06:30", end="09:00")
        for c in period_codes
    )
    dish_ids = draw(st.lists(identifiers, min_size=1, max_size=6, unique=True))
    dishes = tuple(
        Dish(
            id=d,
            name_zh=draw(names),
            name_en=draw(names),
            description_zh=draw(texts),
            category=draw(st.sampled_from(["meat", "vegetable", "staple"])),
            price_cents=draw(cents),
            member_price_cents=draw(st.none() | cents),
            tags=tuple(draw(st.lists(codes, unique=True, max_size=3))),
            allergens=tuple(draw(st.lists(codes, unique=True, max_size=3))),
            kcal=draw(st.none() | st.integers(0, 2000)),
            station=draw(codes),
            image=draw(st.none() | identifiers),
            sold_out=draw(st.booleans()),
        )
        for d in dish_ids
    )
    menus = tuple(
        Menu(
            meal_period=p,
            items=tuple(
                MenuItem(dish_id=d, available=draw(st.booleans()))
                for d in draw(st.lists(st.sampled_from(dish_ids), unique=True))
            ),
        )
        for p in period_codes
    )
    categories = sorted({d.category for d in dishes})
    set_meals: list[Any] = [
        FixedSetMeal(kind="fixed", id="set-fixed", name_zh="套餐", name_en="Combo",
                     price_cents=draw(cents), dish_ids=tuple(dish_ids[:2])),
        BuildSetMeal(kind="build", id="set-build", name_zh="自选", name_en="Build your own",
                     price_cents=draw(cents),
                     slots=tuple(SetMealSlot(category=c, count=draw(st.integers(1, 2)))
                                 for c in categories)),
    ]
    named = draw(st.booleans())  # older hubs send no names; newer ones name every code used
    stations = sorted({d.station for d in dishes}) + draw(st.lists(codes, max_size=2))
    return CatalogSnapshot(
        version=draw(st.integers(1, 10**9)),
        generated_at=draw(times),
        meal_periods=periods,
        dishes=dishes,
        menus=menus,
        set_meals=tuple(set_meals),
        offers=Offers(coupon_templates=tuple(draw(st.lists(
            coupon_templates(dish_ids, categories), max_size=3, unique_by=lambda c: c.code)))),
        categories=tuple(
            Category(code=c, name_zh=draw(names), name_en=draw(names),
                     sort=draw(st.integers(0, 99)))
            for c in categories) if named else (),
        stations=tuple(Station(code=c, name_zh=draw(names), name_en=draw(names))
                       for c in dict.fromkeys(stations)) if named else (),
    )


def coupon_templates(dish_ids: list[str], categories: list[str]
                     ) -> st.SearchStrategy[CouponTemplate]:
    """A coupon template of any kind, scoped to some of the catalog's dishes and categories."""
    scope = {
        "dish_ids": st.lists(st.sampled_from(dish_ids), unique=True, max_size=2).map(tuple),
        "categories": st.lists(st.sampled_from(categories), unique=True, max_size=2).map(tuple),
        "min_spend_cents": cents,
        "window": st.sampled_from([Window(), Window(valid_until=datetime(2030, 1, 1, tzinfo=UTC))]),
    }
    return st.one_of(
        st.builds(CouponTemplate, code=identifiers, name_zh=names, name_en=names,
                  kind=st.just("amount_off"), amount_cents=st.integers(1, 50_000), **scope),
        st.builds(CouponTemplate, code=identifiers, name_zh=names, name_en=names,
                  kind=st.just("percent_off"), percent_bp=st.integers(1, 10_000),
                  max_off_cents=st.none() | cents, **scope),
        st.builds(CouponTemplate, code=identifiers, name_zh=names, name_en=names,
                  kind=st.just("free_dish"), dish_id=st.sampled_from(dish_ids), **scope),
    )


order_states = st.tuples(
    st.lists(codes, min_size=2, max_size=4, unique=True),
    st.sampled_from([("ready", False), ("in_preparation", False), ("in_preparation", True)]),
).flatmap(
    lambda args: st.builds(
        OrderStateChanged, order_id=st.builds(new_order_id), order_no=st.just("A001"),
        state=st.just(args[1][0]), at=times, station=st.sampled_from(args[0]),
        stations=st.just(tuple(args[0])), recall=st.just(args[1][1]),
    )
)


hashes = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
cached_members = st.builds(
    CachedMember, identifier_hash=hashes, member_id=identifiers, display_name=st.just("张*明"),
    tier=st.sampled_from(["silver", "gold"]), balance_cents=st.integers(0, 10**6),
    subsidy_cents=st.integers(0, 5000), points=st.integers(0, 10**5),
    offline_limit_cents=st.integers(0, 20000),
)
member_deltas = st.builds(
    lambda upserts, base: MemberCacheDelta(
        from_version=base, to_version=base + 1, generated_at=datetime(2025, 3, 1, tzinfo=UTC),
        upserts=tuple({m.identifier_hash: m for m in upserts}.values()),
    ),
    st.lists(cached_members, max_size=4), st.integers(0, 1000),
)
device_configs = st.builds(
    DeviceConfig, version=st.integers(1, 10**6), order_prefix=st.sampled_from([None, "A", "KB"]),
    mode=st.sampled_from(["diner", "kds", "pickup"]),
)

device_commands = st.builds(
    DeviceCommand, command_id=st.builds(new_message_id), device=identifiers,
    name=st.sampled_from(COMMAND_NAMES), expires_at=times,
)
command_results = st.builds(
    CommandResult, command_id=st.builds(new_message_id), name=st.sampled_from(COMMAND_NAMES),
    status=st.sampled_from(["ok", "failed", "refused", "expired"]),
    detail=st.none() | st.just("打印机缺纸 paper out"), output=st.none() | st.just("log\nline"),
    finished_at=times,
)



def _model_release(version: int, blob: bytes, dishes: list[str]) -> RecommenderRelease:
    import base64
    import hashlib

    manifest = ModelManifest(
        format="canteen-recommend/1", version=version, sha256=hashlib.sha256(blob).hexdigest(),
        size=len(blob), site="site-1", catalog_version=version, dish_ids=tuple(dishes),
        created_at=datetime(2025, 3, 1, tzinfo=UTC), periods=("breakfast", "lunch"),
        half_life_days=28.0, other_period_weight=0.3)
    return RecommenderRelease(manifest=manifest, data_b64=base64.b64encode(blob).decode())


model_releases = st.builds(
    _model_release, st.integers(1, 10**6), st.binary(min_size=1, max_size=64),
    st.lists(identifiers, min_size=1, max_size=5, unique=True),
)

service_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)).map(
    date.isoformat)
portions_prepared = st.builds(
    PortionsPrepared, service_date=service_dates, meal_period=codes, dish_id=identifiers,
    prepared=st.integers(0, 100_000), at=times,
)
portions_sold = st.builds(
    lambda day, rows: PortionsSold(service_date=day, counts=tuple(
        SoldCount(meal_period=p, dish_id=d, sold=n) for (p, d), n in rows.items())),
    service_dates, st.dictionaries(st.tuples(codes, identifiers), st.integers(0, 10_000),
                                   max_size=4),
)

def _face_enrolled(member: str, seed: int, lang: str, at: datetime) -> FaceEnrolled:
    tid = new_message_id()
    vec = [((seed * (i + 1)) % 200 - 100) / 100 for i in range(128)]
    return FaceEnrolled(member_id=member, template=FaceTemplate(
        template_id=tid, model="dlib-resnet-v1",
        sealed=seal_template(vec, site_key=b"k", member_id=member, template_id=tid)),
        consent_version="face_v1", consent_lang=lang, consented_at=at, frames=3)


face_enrolments = st.builds(_face_enrolled, identifiers, st.integers(1, 10**6),
                            st.sampled_from(["zh_Hans", "en"]), times)

def _booked(uid: uuid.UUID, member: str, period: str, kind: str, code: str, qty: int,
            price: int, name: str, status: str) -> BookedMeal:
    return BookedMeal(booking_id=str(uid), member_id=member, meal_period=period,
                      kind=kind,  # type: ignore[arg-type]
                      dish_id=code if kind == "dish" else None,
                      set_meal_id=code if kind == "set_meal" else None, qty=qty,
                      price_cents=price, name_zh=name, name_en=name,
                      status=status)  # type: ignore[arg-type]


booked_meals = st.builds(_booked, st.uuids(version=4), identifiers, codes,
                         st.sampled_from(["dish", "set_meal", "meal"]), identifiers,
                         st.integers(1, 99), cents, names,
                         st.sampled_from(["booked", "picked_up"]))
planned = st.builds(PlannedDish, meal_period=codes, dish_id=identifiers, name_zh=names,
                    name_en=names, forecast=st.integers(0, 100_000))
bookings_snapshots = st.builds(
    lambda v, at, day, rows, plan: BookingsSnapshot(
        version=v, generated_at=at, service_date=day,
        bookings=tuple({b.booking_id: b for b in rows}.values()),
        plan=tuple({(p.meal_period, p.dish_id): p for p in plan}.values())),
    st.integers(1, 10**12), times, service_dates, st.lists(booked_meals, max_size=4),
    st.lists(planned, max_size=4),
)
portions_recorded = st.builds(
    lambda day, period, at, rows: PortionsRecorded(
        service_date=day, meal_period=period, at=at,
        dishes=tuple(RecordedDish(dish_id=d, cooked=c + left, left_over=left)
                     for d, (c, left) in rows.items())),
    service_dates, codes, times,
    st.dictionaries(identifiers, st.tuples(st.integers(0, 500), st.integers(0, 50)),
                    min_size=1, max_size=4),
)

PAYLOADS: dict[str, st.SearchStrategy[WireModel]] = {
    "order.placed": orders(),
    "feedback.given": feedbacks,
    "order.state": order_states,
    "device.heartbeat": heartbeats,
    "device.status": statuses,
    "event.ack": acks,
    "catalog.snapshot": catalogs(),
    "member.delta": member_deltas,
    "device.config": device_configs,
    "device.command": device_commands,
    "device.command_result": command_results,
    "face.enrolled": face_enrolments,
    "model.recommender": model_releases,
    "portions.prepared": portions_prepared,
    "portions.sold": portions_sold,
    "bookings.snapshot": bookings_snapshots,
    "portions.recorded": portions_recorded,
}
"""A strategy for every registered type (a test checks none is missing)."""
