"""The manager's dashboard: every chart is a small table first.

A chart is its columns and rows (what the CSV download and the table view show); the page
draws it with ECharts from the same rows, so a figure on the chart, in its table and in its
CSV is one computation. The orders of the range are read once per request (OrderFacts) and
every chart folds them; days and time slots are each site's local ones.

The sales charts (by dish, category, station, site, and revenue per day) read the sales
rollups that ingest keeps (``hub.analytics.rollups``: one row per site, day and dish, and
per site, day, hour and payment type) instead of every order line; they hold the same gross
figures as the lines, so the charts do not change, only how much is read to draw them.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.analytics.inputs import DateRange, SiteRef, placed_in_site_days
from hub.analytics.rollups import ALL
from hub.i18n import lazy_gettext as _l
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry, MemberAccount
from hub.models.analytics import SalesDishDay, SalesSlotDay
from hub.models.catalog_names import DishCategory
from hub.models.devices import Device, DeviceKind
from hub.models.dishes import Dish
from hub.models.feedback import Feedback
from hub.models.members import Member
from hub.models.orders import Order, OrderLine
from hub.models.tracking import OrderTrackStation

SLOT_MINUTES = 30
"""The heatmap's time slot: half an hour reads well on a tablet across a whole day."""
STAFFING_SLOT_MINUTES = 15
"""The staffing view's slot: the seeds plan kiosks and cooks per quarter hour."""
LAPSED_DAYS = 60
"""A member who ate here in the 60 days before the range but not in it has lapsed."""
TOP_DISHES = 15

WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
MEAL_PERIOD_NAMES = {"breakfast": _l("Breakfast"), "lunch": _l("Lunch"),
                     "dinner": _l("Dinner"), "late_snack": _l("Late snack")}


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a chart's table: its key (CSV header), label and how to show it."""

    key: str
    label: object  # a lazy string: translated when shown
    unit: str = "int"  # int | cents | float | pct | text | minutes


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: what it is called, how to draw it, and the table it draws."""

    key: str
    title: object
    kind: str  # bar | hbar | line | heatmap | pie | kpi
    columns: tuple[Column, ...]
    rows: list[tuple[object, ...]]
    note: object = ""
    series: tuple[str, ...] = ()  # the column keys drawn (default: the second column)
    step_minutes: int = SLOT_MINUTES  # heatmaps: the time slot of the second column

    def column(self, key: str) -> list[object]:
        """The values of one column, in row order."""
        i = [c.key for c in self.columns].index(key)
        return [r[i] for r in self.rows]


@dataclass(slots=True)
class OrderFacts:
    """One order as the dashboard needs it, with its site-local time."""

    id: str
    site: str
    device: str
    member_id: int | None
    local: datetime
    meal_period: str
    total_cents: int


@dataclass(slots=True)
class LineFacts:
    """One order line with its dish's category."""

    order_id: str
    dish_key: str
    name_zh: str
    name_en: str
    category: str
    station: str
    qty: int
    cents: int


@dataclass(slots=True)
class Facts:
    """The range's orders and lines, and the same-length range just before it."""

    days: DateRange
    sites: list[SiteRef]
    orders: list[OrderFacts]
    lines: list[LineFacts]
    previous: list[OrderFacts] = field(default_factory=list)
    category_names: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> lang
    # From the sales rollups: per dish and station (order_id empty), and per site and day
    # (orders, revenue) for this range and the previous one.
    dish_sales: list[LineFacts] = field(default_factory=list)
    site_days: dict[tuple[str, date], tuple[int, int]] = field(default_factory=dict)
    previous_site_days: dict[tuple[str, date], tuple[int, int]] = field(default_factory=dict)


def previous_range(days: DateRange) -> DateRange:
    """The same number of days ending the day before ``days`` starts."""
    span = (days.end - days.start).days + 1
    return DateRange(days.start - timedelta(days=span), days.start - timedelta(days=1))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _orders(session: Session, days: DateRange, sites: Sequence[SiteRef]) -> list[OrderFacts]:
    zones = {s.id: s for s in sites}
    rows = session.execute(
        sa.select(col(Order.id), col(Order.site_id), col(Order.member_id), col(Order.placed_at),
                  col(Order.meal_period), col(Order.total_cents), col(Device.code))
        .select_from(Order)
        .join(Device, col(Device.id) == Order.device_id, isouter=True)
        .where(placed_in_site_days(days, sites)))
    return [OrderFacts(order_id, zones[site_id].code, device or "", member_id,
                       _aware(placed_at).astimezone(zones[site_id].zone), period or "", total)
            for order_id, site_id, member_id, placed_at, period, total, device in rows]


def _lines(session: Session, days: DateRange, sites: Sequence[SiteRef]) -> list[LineFacts]:
    rows = session.execute(
        sa.select(col(OrderLine.order_id), col(OrderLine.dish_code), col(OrderLine.name_zh),
                  col(OrderLine.name_en), col(Dish.category), col(OrderLine.station),
                  col(OrderLine.qty), col(OrderLine.line_total_cents))
        .select_from(OrderLine)
        .join(Order, col(Order.id) == OrderLine.order_id)
        .join(Dish, col(Dish.id) == OrderLine.dish_id, isouter=True)
        .where(placed_in_site_days(days, sites)))
    return [LineFacts(o, d, zh, en, cat or "", st, q, c) for o, d, zh, en, cat, st, q, c in rows]


def _dish_sales(session: Session, days: DateRange, sites: Sequence[SiteRef]) -> list[LineFacts]:
    """Portions and revenue per dish and station over the range, from ``sales_dish_day``."""
    if not sites:
        return []
    d = SalesDishDay
    rows = session.execute(
        sa.select(col(d.dish_code), sa.func.max(col(d.name_zh)), sa.func.max(col(d.name_en)),
                  sa.func.max(col(Dish.category)), col(d.station), sa.func.sum(col(d.quantity)),
                  sa.func.sum(col(d.revenue_cents)))
        .select_from(d)
        .join(Dish, col(Dish.id) == d.dish_id, isouter=True)
        .where(col(d.site_id).in_([s.id for s in sites]), col(d.day) >= days.start,
               col(d.day) <= days.end)
        .group_by(col(d.dish_code), col(d.station)))
    return [LineFacts("", code, zh, en, cat or "", station, int(q), int(c))
            for code, zh, en, cat, station, q, c in rows]


def _site_days(session: Session, days: DateRange, sites: Sequence[SiteRef]
               ) -> dict[tuple[str, date], tuple[int, int]]:
    """Orders and revenue per site and local day, from ``sales_slot_day``'s ``all`` rows."""
    if not sites:
        return {}
    codes = {s.id: s.code for s in sites}
    t = SalesSlotDay
    rows = session.execute(
        sa.select(col(t.site_id), col(t.day), sa.func.sum(col(t.orders)),
                  sa.func.sum(col(t.amount_cents)))
        .where(col(t.site_id).in_(list(codes)), col(t.day) >= days.start,
               col(t.day) <= days.end, col(t.payment) == ALL)
        .group_by(col(t.site_id), col(t.day)))
    return {(codes[site_id], day): (int(n), int(cents)) for site_id, day, n, cents in rows}


def load_facts(session: Session, days: DateRange, sites: Sequence[SiteRef]) -> Facts:
    """Read the range's orders and lines, the previous range's orders, and the rollups, once."""
    names = {code: {"zh": zh, "en": en} for code, zh, en in session.execute(
        sa.select(col(DishCategory.code), col(DishCategory.name_zh), col(DishCategory.name_en)))}
    before = previous_range(days)
    return Facts(days, list(sites), _orders(session, days, sites), _lines(session, days, sites),
                 _orders(session, before, sites), names, _dish_sales(session, days, sites),
                 _site_days(session, days, sites), _site_days(session, before, sites))


# --- sales ----------------------------------------------------------------------------------

def _sales_by(facts: Facts, key: Callable[[LineFacts], tuple[str, ...]]
              ) -> list[tuple[tuple[str, ...], int, int]]:
    portions: Counter[tuple[str, ...]] = Counter()
    cents: Counter[tuple[str, ...]] = Counter()
    for line in facts.dish_sales:
        k = key(line)
        portions[k] += line.qty
        cents[k] += line.cents
    return sorted(((k, portions[k], cents[k]) for k in cents), key=lambda r: (-r[2], r[0]))


def sales_by_dish(facts: Facts, lang: str) -> Chart:
    """The top dishes by revenue, with portions sold."""
    rows = _sales_by(facts, lambda ln: (ln.dish_key, ln.name_en if lang == "en" else ln.name_zh))
    return Chart("sales-by-dish", _l("Sales by dish (top %(n)s)") % {"n": TOP_DISHES}, "hbar",
                 (Column("dish", _l("Dish"), "text"), Column("revenue", _l("Revenue"), "cents"),
                  Column("portions", _l("Portions"))),
                 [(k[1], c, p) for k, p, c in rows[:TOP_DISHES]])


def sales_by_category(facts: Facts, lang: str) -> Chart:
    """Revenue and portions per dish category (by its name where the hub has one)."""
    which = "en" if lang == "en" else "zh"
    rows = _sales_by(facts, lambda ln: (facts.category_names.get(ln.category, {}).get(
        which, ln.category) or "-",))
    return Chart("sales-by-category", _l("Sales by category"), "pie",
                 (Column("category", _l("Category"), "text"),
                  Column("revenue", _l("Revenue"), "cents"), Column("portions", _l("Portions"))),
                 [(k[0], c, p) for k, p, c in rows])


def sales_by_station(facts: Facts, lang: str) -> Chart:
    """Revenue and portions per kitchen station."""
    rows = _sales_by(facts, lambda ln: (ln.station,))
    return Chart("sales-by-station", _l("Sales by station"), "bar",
                 (Column("station", _l("Station"), "text"),
                  Column("revenue", _l("Revenue"), "cents"), Column("portions", _l("Portions"))),
                 [(k[0], c, p) for k, p, c in rows])


def sales_by_site(facts: Facts, lang: str) -> Chart:
    """Each site this period against the period before, side by side."""
    now: Counter[str] = Counter()
    before: Counter[str] = Counter()
    orders: Counter[str] = Counter()
    for (site, _day), (n, cents) in facts.site_days.items():
        now[site] += cents
        orders[site] += n
    for (site, _day), (_n, cents) in facts.previous_site_days.items():
        before[site] += cents
    rows: list[tuple[object, ...]] = []
    for site in sorted(set(now) | set(before)):
        change = round(100 * (now[site] - before[site]) / before[site], 1) \
            if before[site] else None
        rows.append((site, orders[site], now[site], before[site], change))
    return Chart("sales-by-site", _l("Sites: this period vs the previous one"), "bar",
                 (Column("site", _l("Site"), "text"), Column("orders", _l("Orders")),
                  Column("revenue", _l("Revenue"), "cents"),
                  Column("previous_revenue", _l("Previous period"), "cents"),
                  Column("change_pct", _l("Change %"), "pct")),
                 rows, series=("revenue", "previous_revenue"))


def meal_periods(facts: Facts, lang: str) -> Chart:
    """Orders, diners, average ticket and revenue per meal period."""
    orders: Counter[str] = Counter()
    cents: Counter[str] = Counter()
    diners: dict[str, set[object]] = defaultdict(set)
    for o in facts.orders:
        orders[o.meal_period] += 1
        cents[o.meal_period] += o.total_cents
        # A member is one diner however often they came; each guest order is one diner.
        diners[o.meal_period].add(o.member_id if o.member_id is not None else o.id)
    order = list(MEAL_PERIOD_NAMES)
    keys = sorted(orders, key=lambda k: (order.index(k) if k in order else len(order), k))
    return Chart("meal-periods", _l("Meal periods: diners and average ticket"), "bar",
                 (Column("meal_period", _l("Meal period"), "text"),
                  Column("orders", _l("Orders")), Column("diners", _l("Diners")),
                  Column("average_ticket", _l("Average ticket"), "cents"),
                  Column("revenue", _l("Revenue"), "cents")),
                 [(str(MEAL_PERIOD_NAMES.get(k, k or "-")), orders[k], len(diners[k]),
                   round(cents[k] / orders[k]), cents[k]) for k in keys],
                 series=("orders", "diners"))


def period_compare(facts: Facts, lang: str) -> Chart:
    """Revenue per day of this period against the same day of the previous period."""
    span = (facts.days.end - facts.days.start).days + 1
    now = [0] * span
    before = [0] * span
    start, prev_start = facts.days.start, previous_range(facts.days).start
    for (_site, day), (_n, cents) in facts.site_days.items():
        i = (day - start).days
        if 0 <= i < span:
            now[i] += cents
    for (_site, day), (_n, cents) in facts.previous_site_days.items():
        i = (day - prev_start).days
        if 0 <= i < span:
            before[i] += cents
    return Chart("period-compare", _l("Revenue per day: this period vs the previous one"),
                 "line",
                 (Column("day", _l("Day"), "text"), Column("revenue", _l("This period"), "cents"),
                  Column("previous_revenue", _l("Previous period"), "cents")),
                 [((start + timedelta(days=i)).isoformat(), now[i], before[i])
                  for i in range(span)], series=("revenue", "previous_revenue"))


# --- traffic and staffing -------------------------------------------------------------------

def _slot(at: datetime, minutes: int) -> str:
    start = (at.hour * 60 + at.minute) // minutes * minutes
    return f"{start // 60:02d}:{start % 60:02d}"


def traffic_heatmap(facts: Facts, lang: str) -> Chart:
    """Orders per weekday and half-hour slot (site-local), over the whole range."""
    counts: Counter[tuple[int, str]] = Counter(
        (o.local.weekday(), _slot(o.local, SLOT_MINUTES)) for o in facts.orders)
    return Chart("traffic", _l("Traffic by weekday and time slot"), "heatmap",
                 (Column("weekday", _l("Weekday"), "text"), Column("slot", _l("Time"), "text"),
                  Column("orders", _l("Orders"))),
                 [(str(WEEKDAYS[d]), s, n) for (d, s), n in sorted(counts.items())])


def kiosk_peaks(facts: Facts, lang: str) -> Chart:
    """Per kiosk: orders, and its busiest quarter hour (the most it has had to serve)."""
    per: dict[str, Counter[datetime]] = defaultdict(Counter)
    for o in facts.orders:
        if o.device:
            t = o.local
            per[o.device][t.replace(minute=t.minute // 15 * 15, second=0, microsecond=0)] += 1
    rows: list[tuple[object, ...]] = []
    for device in sorted(per):
        at, peak = max(per[device].items(), key=lambda kv: (kv[1], kv[0]))
        rows.append((device, sum(per[device].values()), peak, at.strftime("%Y-%m-%d %H:%M")))
    rows.sort(key=lambda r: (-int(str(r[2])), str(r[0])))
    return Chart("kiosk-peaks", _l("Peak throughput per kiosk (orders in 15 minutes)"), "bar",
                 (Column("device", _l("Device"), "text"), Column("orders", _l("Orders")),
                  Column("peak_15min", _l("Busiest 15 minutes")),
                  Column("peak_at", _l("At"), "text")),
                 rows, series=("peak_15min",))


def staffing(facts: Facts, lang: str, *, kiosks: int) -> Chart:
    """Average diners per quarter hour by weekday, and the kiosks that load needs.

    A kiosk's capacity is the busiest quarter hour any kiosk actually served in the range
    (measured, not assumed); kiosks needed = ceil(diners / capacity). Only slots that had
    orders are listed.
    """
    per_slot: Counter[tuple[int, str]] = Counter(
        (o.local.weekday(), _slot(o.local, STAFFING_SLOT_MINUTES)) for o in facts.orders)
    weekdays = Counter(d.weekday() for d in facts.days.days())
    peaks = kiosk_peaks(facts, lang).column("peak_15min")
    capacity = max((int(str(p)) for p in peaks), default=0)
    rows: list[tuple[object, ...]] = []
    for (day, slot), n in sorted(per_slot.items()):
        mean = n / weekdays[day] if weekdays[day] else 0.0
        need = math.ceil(mean / capacity) if capacity else 0
        rows.append((str(WEEKDAYS[day]), slot, round(mean, 1), need, kiosks))
    return Chart("staffing", _l("Staffing: diners per 15 minutes against kiosks"), "heatmap",
                 (Column("weekday", _l("Weekday"), "text"), Column("slot", _l("Time"), "text"),
                  Column("diners", _l("Diners (average)"), "float"),
                  Column("kiosks_needed", _l("Kiosks needed")),
                  Column("kiosks", _l("Kiosks on site"))),
                 rows, note=_l("Kiosk capacity = the busiest 15 minutes one kiosk served "
                               "in this range: %(n)s orders.") % {"n": capacity},
                 step_minutes=STAFFING_SLOT_MINUTES)


# --- members, satisfaction, kitchen, subsidy ------------------------------------------------

def members(session: Session, facts: Facts, lang: str) -> Chart:
    """Members active in the range, new ones (first order ever in it), lapsed, and tiers."""
    active = {o.member_id for o in facts.orders if o.member_id is not None}
    new = 0
    if active:
        firsts = session.execute(
            sa.select(col(Order.member_id), sa.func.min(col(Order.placed_at)))
            .where(col(Order.member_id).in_(active)).group_by(col(Order.member_id)))
        starts = {s.id: facts.days.utc_bounds(s.zone)[0] for s in facts.sites}
        earliest = min(starts.values()) if starts else datetime.now(UTC)
        new = sum(1 for _, first in firsts if _aware(first) >= earliest)
    lapsed = 0
    if facts.sites:
        lo = min(DateRange(facts.days.start - timedelta(days=LAPSED_DAYS),
                           facts.days.start - timedelta(days=1)).utc_bounds(s.zone)[0]
                 for s in facts.sites)
        hi = min(facts.days.utc_bounds(s.zone)[0] for s in facts.sites)
        before = set(session.exec(
            select(Order.member_id).where(
                col(Order.site_id).in_([s.id for s in facts.sites]),
                col(Order.placed_at) >= lo, col(Order.placed_at) < hi,
                col(Order.member_id).is_not(None)).distinct()).all())
        lapsed = len(before - active)
    tiers: Counter[str] = Counter()
    if active:
        for tier in session.exec(select(MemberAccount.tier_code).where(
                col(MemberAccount.member_id).in_(active))).all():
            tiers[tier or "standard"] += 1
        tiers["standard"] += len(active) - sum(tiers.values())
    rows: list[tuple[object, ...]] = [
        (str(_l("Active")), len(active)), (str(_l("New")), new),
        (str(_l("Lapsed (%(n)s days)") % {"n": LAPSED_DAYS}), lapsed)]
    rows += [(str(_l("Tier: %(tier)s") % {"tier": t}), n) for t, n in sorted(tiers.items())
             if n]
    return Chart("members", _l("Members: active, new, lapsed and tier mix"), "bar",
                 (Column("group", _l("Group"), "text"), Column("members", _l("Members"))), rows)


def satisfaction(session: Session, facts: Facts, lang: str) -> Chart:
    """Mean rating per dish and per station, from the feedback on the range's orders."""
    ratings: dict[str, int] = {
        order_id: rating for order_id, rating in session.execute(
            sa.select(col(Feedback.order_id), col(Feedback.rating))
            .where(col(Feedback.order_id).in_([o.id for o in facts.orders] or [""])))}
    per: dict[tuple[str, str], list[int]] = defaultdict(list)
    seen: set[tuple[str, str, str]] = set()
    for line in facts.lines:
        rating = ratings.get(line.order_id)
        if rating is None:
            continue
        name = line.name_en if lang == "en" else line.name_zh
        for key in ((str(_l("Dish")), name), (str(_l("Station")), line.station)):
            # One rating per order for each dish or station it contained.
            if (line.order_id, *key) not in seen:
                seen.add((line.order_id, *key))
                per[key].append(int(rating))
    found = sorted(((kind, name, len(v), round(statistics.fmean(v), 2))
                    for (kind, name), v in per.items()), key=lambda r: (r[0], r[3], r[1]))
    return Chart("satisfaction", _l("Satisfaction per dish and station"), "table",
                 (Column("by", _l("By"), "text"), Column("name", _l("Name"), "text"),
                  Column("ratings", _l("Ratings")), Column("average", _l("Average"), "float")),
                 list(found), note=_l("Lowest first: the dishes and stations to look at."))


def prep_times(session: Session, facts: Facts, lang: str) -> Chart:
    """Median and 90th-percentile preparation time (start to ready) per kitchen station."""
    codes = [s.code for s in facts.sites]
    found = session.execute(
        sa.select(col(OrderTrackStation.station), col(OrderTrackStation.started_at),
                  col(OrderTrackStation.ready_at))
        .where(col(OrderTrackStation.order_id).in_([o.id for o in facts.orders] or [""]),
               col(OrderTrackStation.site_code).in_(codes),
               col(OrderTrackStation.started_at).is_not(None),
               col(OrderTrackStation.ready_at).is_not(None)))
    per: dict[str, list[float]] = defaultdict(list)
    for station, started, ready in found:
        per[station].append((_aware(ready) - _aware(started)).total_seconds() / 60)
    rows: list[tuple[object, ...]] = []
    for station in sorted(per):
        v = sorted(per[station])
        p90 = v[min(len(v) - 1, math.ceil(0.9 * len(v)) - 1)]
        rows.append((station, len(v), round(statistics.median(v), 1), round(p90, 1)))
    return Chart("prep-times", _l("Kitchen preparation time per station"), "bar",
                 (Column("station", _l("Station"), "text"), Column("tickets", _l("Tickets")),
                  Column("median_min", _l("Median (min)"), "minutes"),
                  Column("p90_min", _l("90th percentile (min)"), "minutes")),
                 rows, series=("median_min", "p90_min"))


def subsidy_by_employer(session: Session, facts: Facts, lang: str) -> Chart:
    """Subsidy spent (net of refunds) per employer on the range's orders."""
    found = session.execute(
        sa.select(col(Member.employer), col(LedgerEntry.kind), sa.func.sum(col(LedgerEntry.amount)))
        .join(Member, col(Member.id) == LedgerEntry.member_id)
        .where(col(LedgerEntry.account) == AccountKind.SUBSIDY,
               col(LedgerEntry.kind).in_([EntryKind.SPEND, EntryKind.REFUND]),
               col(LedgerEntry.order_id).in_([o.id for o in facts.orders] or [""]))
        .group_by(col(Member.employer), col(LedgerEntry.kind)))
    net: Counter[str] = Counter()
    for employer, _kind, amount in found:
        net[employer or "-"] -= int(amount)  # spends are negative, refunds positive
    ranked: list[tuple[object, ...]] = [
        (e, n) for e, n in sorted(net.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Chart("subsidy", _l("Subsidy spent per employer"), "hbar",
                 (Column("employer", _l("Employer"), "text"),
                  Column("subsidy", _l("Subsidy"), "cents")), ranked)


def kpis(facts: Facts, lang: str) -> Chart:
    """The headline figures: orders, revenue, average ticket, diners, each against before."""
    def figures(orders: list[OrderFacts]) -> tuple[int, int, int, int]:
        revenue = sum(o.total_cents for o in orders)
        diners = len({o.member_id if o.member_id is not None else o.id for o in orders})
        return len(orders), revenue, round(revenue / len(orders)) if orders else 0, diners

    now, before = figures(facts.orders), figures(facts.previous)
    labels = ((_l("Orders"), "int"), (_l("Revenue"), "cents"), (_l("Average ticket"), "cents"),
              (_l("Diners"), "int"))
    rows = [(str(label), unit, n, b) for (label, unit), n, b in zip(labels, now, before,
                                                                     strict=True)]
    return Chart("kpis", _l("This period"), "kpi",
                 (Column("figure", _l("Figure"), "text"), Column("unit", _l("Unit"), "text"),
                  Column("value", _l("This period")), Column("previous", _l("Previous period"))),
                 list(rows))


CHART_KEYS = ("kpis", "period-compare", "sales-by-dish", "sales-by-category", "sales-by-station",
              "sales-by-site", "meal-periods", "traffic", "kiosk-peaks", "staffing", "members",
              "satisfaction", "prep-times", "subsidy")


def build_charts(session: Session, facts: Facts, lang: str,
                 only: str | None = None) -> list[Chart]:
    """Every chart of the dashboard (or just ``only``), in page order."""
    kiosks = 0
    if only in (None, "staffing"):
        kiosks = len(session.exec(select(Device.id).where(
            col(Device.site_id).in_([s.id for s in facts.sites]),
            Device.kind == DeviceKind.KIOSK, col(Device.active))).all())
    makers: dict[str, Callable[[], Chart]] = {
        "kpis": lambda: kpis(facts, lang),
        "period-compare": lambda: period_compare(facts, lang),
        "sales-by-dish": lambda: sales_by_dish(facts, lang),
        "sales-by-category": lambda: sales_by_category(facts, lang),
        "sales-by-station": lambda: sales_by_station(facts, lang),
        "sales-by-site": lambda: sales_by_site(facts, lang),
        "meal-periods": lambda: meal_periods(facts, lang),
        "traffic": lambda: traffic_heatmap(facts, lang),
        "kiosk-peaks": lambda: kiosk_peaks(facts, lang),
        "staffing": lambda: staffing(facts, lang, kiosks=kiosks),
        "members": lambda: members(session, facts, lang),
        "satisfaction": lambda: satisfaction(session, facts, lang),
        "prep-times": lambda: prep_times(session, facts, lang),
        "subsidy": lambda: subsidy_by_employer(session, facts, lang),
    }
    return [makers[k]() for k in CHART_KEYS if only in (None, k)]


def default_range(today: date, days: int = 28) -> DateRange:
    """The last four weeks up to today: whole weekdays for the heatmap and staffing."""
    return DateRange(today - timedelta(days=days - 1), today)


def display_value(value: object, unit: str) -> object:
    """A cell as a person reads it: fen as yuan, rounded minutes, the rest as is."""
    if value is None:
        return ""
    if unit == "cents" and isinstance(value, int):
        return round(value / 100, 2)
    return value


def chart_table(chart: Chart) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a chart for its CSV download (yuan as numbers)."""
    header = [str(c.label) for c in chart.columns]
    rows: list[list[object]] = []
    for row in chart.rows:
        units = [c.unit for c in chart.columns]
        if chart.kind == "kpi":
            # A KPI row carries its own unit in its second column.
            units = ["text", "text", str(row[1]), str(row[1])]
        rows.append([display_value(v, u) for v, u in zip(row, units, strict=True)])
    return header, rows


def echarts_option(chart: Chart) -> dict[str, object]:
    """The ECharts option that draws ``chart`` from its rows (yuan for money columns)."""
    keys = [c.key for c in chart.columns]
    by_key = {c.key: c for c in chart.columns}
    first = [str(v) for v in chart.column(keys[0])]
    drawn = list(chart.series) or [keys[1]]

    def values(key: str) -> list[object]:
        return [display_value(v, by_key[key].unit) for v in chart.column(key)]

    grid = {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True}
    legend = {"top": 0, "data": [str(by_key[k].label) for k in drawn]}
    if chart.kind == "pie":
        return {"tooltip": {"trigger": "item"}, "series": [{
            "type": "pie", "radius": ["35%", "70%"],
            "data": [{"name": n, "value": v} for n, v in zip(first, values(drawn[0]),
                                                             strict=True)]}]}
    if chart.kind == "heatmap":
        # Every half hour from the first slot with orders to the last: gaps show as gaps.
        seen = sorted({str(v) for v in chart.column(keys[1])})
        minutes = [int(t[:2]) * 60 + int(t[3:]) for t in seen]
        xs = [f"{m // 60:02d}:{m % 60:02d}" for m in range(
            minutes[0], minutes[-1] + 1, chart.step_minutes)] if minutes else []
        ys = [str(d) for d in WEEKDAYS]
        data = [[xs.index(str(r[1])), ys.index(str(r[0])), r[2]] for r in chart.rows]
        top = max((float(str(r[2])) for r in chart.rows), default=1.0)
        return {"tooltip": {"position": "top"}, "grid": {**grid, "bottom": 48},
                "xAxis": {"type": "category", "data": xs}, "yAxis": {"type": "category",
                                                                     "data": ys},
                "visualMap": {"min": 0, "max": top, "orient": "horizontal", "left": "center",
                              "bottom": 0, "calculable": True},
                "series": [{"type": "heatmap", "data": data}]}
    if chart.kind == "hbar":
        return {"tooltip": {"trigger": "axis"}, "grid": grid,
                "xAxis": {"type": "value"},
                "yAxis": {"type": "category", "data": first[::-1]},
                "series": [{"type": "bar", "name": str(by_key[k].label),
                            "data": values(k)[::-1]} for k in drawn]}
    kind = "line" if chart.kind == "line" else "bar"
    return {"tooltip": {"trigger": "axis"}, "legend": legend, "grid": grid,
            "xAxis": {"type": "category", "data": first},
            "yAxis": {"type": "value"},
            "series": [{"type": kind, "name": str(by_key[k].label), "data": values(k),
                        **({"smooth": True} if kind == "line" else {})} for k in drawn]}
