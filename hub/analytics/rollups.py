"""Sales rollups: what the dashboard's sales charts read instead of every order line.

Two tables (``hub.models.analytics``): ``sales_dish_day`` (site-local day x site x dish x
station: portions, revenue, orders) and ``sales_slot_day`` (day x site x local hour x meal
period x payment type: orders, amount, refunded; payment ``all`` is the orders themselves).

They are kept three ways, all through :class:`Fold`, so they cannot disagree:

- ingest: :func:`add_orders`, called once per batch in the batch's transaction with the
  rows of the orders stored *now* (a duplicate or conflicting delivery never reaches it,
  and a batch that rolls back takes its increments with it);
- refunds: :func:`note_refund`, called by ``hub.accounts.refunds.refund_order`` in the
  refund's transaction, adds what each source got back to the order's slot;
- :func:`rebuild`: recomputes both tables from the orders and the ledger's refunds
  (``canteen-hub analytics rebuild-rollups``), e.g. after upgrading a hub that already
  had orders. A test proves rebuild = incremental on SQLite and PostgreSQL.

Each batch is one multi-row upsert statement per table (500 rows a statement), its keys in
ascending order so that concurrent batches lock shared rollup rows in one order (issue 20).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.accounts.points import cents_for_points
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry
from hub.models.analytics import SalesDishDay, SalesSlotDay
from hub.models.orders import Order, OrderLine, Payment
from hub.models.sites import Site

T_DISH = SalesDishDay.__table__  # type: ignore[attr-defined]
T_SLOT = SalesSlotDay.__table__  # type: ignore[attr-defined]
T_ORDER = Order.__table__  # type: ignore[attr-defined]
T_LINE = OrderLine.__table__  # type: ignore[attr-defined]
T_PAYMENT = Payment.__table__  # type: ignore[attr-defined]
T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
T_SITE = Site.__table__  # type: ignore[attr-defined]

ALL = "all"
"""The payment key of the rows that count the orders themselves (amount = order total)."""
DISH_KEY = ("day", "site_id", "dish_code", "station")
SLOT_KEY = ("day", "site_id", "hour", "meal_period", "payment")
REBUILD_CHUNK = 5_000
UPSERT_ROWS = 500  # rows per upsert statement: 10 columns stay under SQLite's 32,766 binds
_REFUND_METHOD = {AccountKind.SUBSIDY: "subsidy", AccountKind.PAID: "stored_value",
                  AccountKind.BONUS: "stored_value", AccountKind.POINTS: "points"}


@dataclass(frozen=True, slots=True)
class Placed:
    """Where an order falls in the rollups: its site, local day and hour, meal period."""

    site_id: int
    day: date
    hour: int
    meal_period: str


def placed(site_id: int, placed_at: datetime, meal_period: str | None,
           zone: ZoneInfo) -> Placed:
    """The rollup coordinates of an order placed at ``placed_at`` (UTC) on a site in ``zone``."""
    at = placed_at if placed_at.tzinfo is not None else placed_at.replace(tzinfo=UTC)
    local = at.astimezone(zone)
    return Placed(site_id, local.date(), local.hour, meal_period or "")


@dataclass(slots=True)
class Fold:
    """Increments of both rollups, keyed like their primary keys."""

    dish: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)
    slot: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)
    _order: str | None = None  # the order whose lines are being folded
    _order_keys: set[tuple[Any, ...]] = field(default_factory=set)

    def line(self, order_id: str, at: Placed, line: Any) -> None:
        """One order line: portions and revenue of its dish; the order counted once per dish.

        An order's lines come one after the other (as ingest stores them and as the rebuild
        reads them, by line id), so "once per order" needs only the current order's keys.
        """
        key = (at.day, at.site_id, line["dish_code"], line["station"])
        if order_id != self._order:
            self._order, self._order_keys = order_id, set()
        row = self.dish.get(key)
        if row is None:
            row = self.dish[key] = [0, 0, 0, None, "", ""]
        row[0] += line["qty"]
        row[1] += line["line_total_cents"]
        if key not in self._order_keys:
            self._order_keys.add(key)
            row[2] += 1
        # Names (and the dish) as the newest line has them: the last one folded.
        row[3], row[4], row[5] = line["dish_id"], line["name_zh"], line["name_en"]

    def order(self, at: Placed, total_cents: int, payments: Iterable[tuple[str, int]]) -> None:
        """An order: counted in the ``all`` row, and once per payment method it used."""
        self._slot(at, ALL, 1, total_cents)
        by_method: dict[str, int] = {}
        for method, cents in payments:
            by_method[method] = by_method.get(method, 0) + cents
        for method, cents in by_method.items():
            self._slot(at, method, 1, cents)

    def refund(self, at: Placed, account: str, amount: int) -> None:
        """A refund ledger entry (positive REFUND) of an order: money back to one source."""
        method = _REFUND_METHOD[AccountKind(account)]
        cents = cents_for_points(amount) if account == AccountKind.POINTS else amount
        self._slot(at, method, 0, 0, cents)
        self._slot(at, ALL, 0, 0, cents)

    def _slot(self, at: Placed, payment: str, orders: int, cents: int,
              refunded: int = 0) -> None:
        key = (at.day, at.site_id, at.hour, at.meal_period, payment)
        row = self.slot.get(key)
        if row is None:
            row = self.slot[key] = [0, 0, 0]
        row[0] += orders
        row[1] += cents
        row[2] += refunded

    def dish_rows(self) -> list[dict[str, Any]]:
        """Rows of ``sales_dish_day``, in key order."""
        return [{"day": k[0], "site_id": k[1], "dish_code": k[2], "station": k[3],
                 "quantity": v[0], "revenue_cents": v[1], "orders": v[2], "dish_id": v[3],
                 "name_zh": v[4], "name_en": v[5]} for k, v in sorted(self.dish.items())]

    def slot_rows(self) -> list[dict[str, Any]]:
        """Rows of ``sales_slot_day``, in key order."""
        return [{"day": k[0], "site_id": k[1], "hour": k[2], "meal_period": k[3],
                 "payment": k[4], "orders": v[0], "amount_cents": v[1],
                 "refunded_cents": v[2]} for k, v in sorted(self.slot.items())]


def _insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def apply(conn: Connection, fold: Fold) -> None:
    """Add a fold's increments to the rollups: one multi-row upsert per table (per
    UPSERT_ROWS rows), not one statement per row."""
    for table, rows, added, replaced in (
            (T_DISH, fold.dish_rows(), ("quantity", "revenue_cents", "orders"),
             ("dish_id", "name_zh", "name_en")),
            (T_SLOT, fold.slot_rows(), ("orders", "amount_cents", "refunded_cents"), ())):
        key = DISH_KEY if table is T_DISH else SLOT_KEY
        for start in range(0, len(rows), UPSERT_ROWS):
            stmt = _insert(conn, table).values(rows[start:start + UPSERT_ROWS])
            stmt = stmt.on_conflict_do_update(
                index_elements=list(key),
                set_={**{c: table.c[c] + stmt.excluded[c] for c in added},
                      **{c: stmt.excluded[c] for c in replaced}})
            conn.execute(stmt)


def add_orders(conn: Connection, orders: Sequence[Mapping[str, Any]],
               lines: Sequence[Mapping[str, Any]], payments: Sequence[Mapping[str, Any]],
               zones: Mapping[int, ZoneInfo]) -> None:
    """Ingest's hook: the rows of a batch's new orders (as ``OrderRows`` holds them) into
    the rollups, in the batch's transaction. ``zones``: each site's time zone."""
    if not orders:
        return
    at = {o["id"]: placed(o["site_id"], o["placed_at"], o["meal_period"], zones[o["site_id"]])
          for o in orders}
    paid: dict[str, list[tuple[str, int]]] = {}
    for p in payments:
        paid.setdefault(p["order_id"], []).append((p["method"], p["amount_cents"]))
    fold = Fold()
    for line in lines:
        fold.line(line["order_id"], at[line["order_id"]], line)
    for o in orders:
        fold.order(at[o["id"]], o["total_cents"], paid.get(o["id"], ()))
    apply(conn, fold)


def _zones(conn: Connection) -> dict[int, ZoneInfo]:
    return {site_id: ZoneInfo(tz) for site_id, tz in
            conn.execute(sa.select(T_SITE.c.id, T_SITE.c.timezone))}


def note_refund(conn: Connection, *, order_id: str,
                given: Iterable[tuple[str, int]]) -> None:
    """A refund of ``order_id``: each (account, amount) a positive REFUND entry gave back."""
    given = [(str(account), amount) for account, amount in given if amount > 0]
    if not given:
        return
    found = conn.execute(
        sa.select(T_ORDER.c.site_id, T_ORDER.c.placed_at, T_ORDER.c.meal_period, T_SITE.c.timezone)
        .join(T_SITE, T_SITE.c.id == T_ORDER.c.site_id)
        .where(T_ORDER.c.id == order_id)).first()
    if found is None:
        return  # ledger entries of an order the hub never stored: nothing to roll up
    site_id, placed_at, period, tz = found
    at = placed(site_id, placed_at, period, ZoneInfo(tz))
    fold = Fold()
    for account, amount in given:
        fold.refund(at, account, amount)
    apply(conn, fold)


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """What a rebuild wrote."""

    orders: int
    dish_rows: int
    slot_rows: int


def compute(conn: Connection) -> Fold:
    """Both rollups computed from the stored orders, lines, payments and refund entries."""
    zones = _zones(conn)
    fold = Fold()
    where: dict[str, Placed] = {}  # order -> coordinates, for the orders seen so far

    def coords(order_id: str, site_id: int, at: datetime, period: str | None) -> Placed:
        found = where.get(order_id)
        if found is None:
            found = where[order_id] = placed(site_id, at, period, zones[site_id])
        return found

    # Orders, with their payments, in id order, a chunk at a time (keyset).
    last = ""
    while True:
        chunk = conn.execute(
            sa.select(T_ORDER.c.id, T_ORDER.c.site_id, T_ORDER.c.placed_at,
                      T_ORDER.c.meal_period, T_ORDER.c.total_cents)
            .where(T_ORDER.c.id > last).order_by(T_ORDER.c.id).limit(REBUILD_CHUNK)).all()
        if not chunk:
            break
        last = chunk[-1][0]
        paid: dict[str, list[tuple[str, int]]] = {}
        for order_id, method, cents in conn.execute(
                sa.select(T_PAYMENT.c.order_id, T_PAYMENT.c.method, T_PAYMENT.c.amount_cents)
                .where(T_PAYMENT.c.order_id >= chunk[0][0], T_PAYMENT.c.order_id <= last)):
            paid.setdefault(order_id, []).append((method, cents))
        for order_id, site_id, at, period, total in chunk:
            fold.order(placed(site_id, at, period, zones[site_id]), total,
                       paid.get(order_id, ()))
    # Lines in id order (the order ingest stored them: the newest names win, as there).
    last_id = 0
    cols = [T_LINE.c[c] for c in ("id", "order_id", "dish_code", "station", "qty",
                                  "line_total_cents", "dish_id", "name_zh", "name_en")]
    while True:
        rows = conn.execute(
            sa.select(*cols, T_ORDER.c.site_id, T_ORDER.c.placed_at, T_ORDER.c.meal_period)
            .join(T_ORDER, T_ORDER.c.id == T_LINE.c.order_id)
            .where(T_LINE.c.id > last_id).order_by(T_LINE.c.id).limit(REBUILD_CHUNK)
        ).mappings().all()
        if not rows:
            break
        last_id = rows[-1]["id"]
        for r in rows:
            fold.line(r["order_id"], placed(r["site_id"], r["placed_at"], r["meal_period"],
                                            zones[r["site_id"]]), r)
    for order_id, site_id, at, period, account, amount in conn.execute(
            sa.select(T_LEDGER.c.order_id, T_ORDER.c.site_id, T_ORDER.c.placed_at,
                      T_ORDER.c.meal_period, T_LEDGER.c.account, T_LEDGER.c.amount)
            .join(T_ORDER, T_ORDER.c.id == T_LEDGER.c.order_id)
            .where(T_LEDGER.c.kind == EntryKind.REFUND, T_LEDGER.c.amount > 0)
            .order_by(T_LEDGER.c.id)):
        fold.refund(coords(order_id, site_id, at, period), account, amount)
    return fold


def rebuild(conn: Connection) -> Rebuilt:
    """Replace both rollups with what the stored orders and refunds say (one transaction:
    the caller commits). Everything is computed before the first row is deleted."""
    fold = compute(conn)
    orders = sum(v[0] for k, v in fold.slot.items() if k[4] == ALL)
    dish, slot = fold.dish_rows(), fold.slot_rows()
    conn.execute(T_DISH.delete())
    conn.execute(T_SLOT.delete())
    for table, rows in ((T_DISH, dish), (T_SLOT, slot)):
        for start in range(0, len(rows), REBUILD_CHUNK):
            conn.execute(table.insert(), rows[start:start + REBUILD_CHUNK])
    return Rebuilt(orders, len(dish), len(slot))


def stored(conn: Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Both rollups as stored, every column, in key order (for checks and tests)."""
    def read(table: sa.Table, key: Sequence[str]) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in conn.execute(
            sa.select(*table.c).order_by(*(table.c[k] for k in key)))]

    return read(T_DISH, DISH_KEY), read(T_SLOT, SLOT_KEY)
