"""Order logs as arrays: one order = one member at one ``ordered_at``; CSV reading with refusals.

Every part of the recommender (training, the evaluation split, the baselines) works on an
:class:`OrderLog`, so the hub, the benchmark and ``canteen-hub recommend evaluate`` share one
definition of an order, a meal period and a day.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

PERIODS: tuple[str, ...] = ("breakfast", "lunch", "dinner", "late")
"""Meal periods the model knows, by local hour of ``ordered_at`` (see :func:`period_of_hour`)."""

ORDER_COLUMNS = ("member_id", "ordered_at", "dish_id")
MENU_COLUMNS = ("date", "dish_id")
EPOCH = date(1970, 1, 1)


class BadInput(ValueError):
    """A CSV the recommender refuses: names the file, the line and the reason."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source}: line {line}: {reason}")
        self.source, self.line, self.reason = source, line, reason


def period_of_hour(hour: int) -> int:
    """Meal period index of a local hour: breakfast 04-10, lunch 10-15, dinner 15-21, late."""
    if 4 <= hour < 10:
        return 0
    if 10 <= hour < 15:
        return 1
    if 15 <= hour < 21:
        return 2
    return 3


def period_index(code: str) -> int:
    """Index of a site's meal period code; an unknown code is the nearest by name, else lunch."""
    code = code.lower()
    for i, name in enumerate(PERIODS):
        if name in code:
            return i
    if "supper" in code or "night" in code or "snack" in code:
        return 3
    return 1


@dataclass(frozen=True)
class OrderLog:
    """Orders sorted by member then time; order o's dishes: ``dish[indptr[o]:indptr[o+1]]``."""

    member_ids: tuple[str, ...]
    dish_ids: tuple[str, ...]
    member: np.ndarray  # int32 (O,) member index of each order
    time: np.ndarray  # float64 (O,) local days since 1970-01-01 (fractional)
    period: np.ndarray  # int8 (O,)
    weekday: np.ndarray  # int8 (O,) Monday = 0
    indptr: np.ndarray  # int64 (O+1,)
    dish: np.ndarray  # int32 (nnz,) distinct dishes of each order

    @property
    def n_orders(self) -> int:
        """Number of orders."""
        return int(self.member.shape[0])

    @property
    def day(self) -> np.ndarray:
        """Local day number of each order (days since 1970-01-01)."""
        return np.floor(self.time).astype(np.int64)

    def order_of_row(self) -> np.ndarray:
        """Order index of each entry of :attr:`dish`."""
        return np.repeat(np.arange(self.n_orders), np.diff(self.indptr))

    def subset(self, orders: np.ndarray) -> OrderLog:
        """The orders selected by a boolean mask or sorted index array (same id tables)."""
        idx = np.flatnonzero(orders) if orders.dtype == bool else np.asarray(orders)
        lengths = np.diff(self.indptr)[idx]
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        starts = self.indptr[idx]
        rows = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
        return OrderLog(self.member_ids, self.dish_ids, self.member[idx], self.time[idx],
                        self.period[idx], self.weekday[idx], indptr, self.dish[rows])


def build_log(
    rows: Iterable[tuple[str, datetime, str]],
    *,
    dish_ids: Sequence[str] | None = None,
) -> OrderLog:
    """An :class:`OrderLog` from ``(member_id, ordered_at, dish_id)`` rows (any order).

    ``dish_ids`` fixes the dish index (a catalog's order); unknown dishes are then appended.
    """
    members: dict[str, int] = {}
    dishes: dict[str, int] = {d: i for i, d in enumerate(dish_ids or ())}
    keys: dict[tuple[int, datetime], set[int]] = {}
    for member_id, at, dish_id in rows:
        m = members.setdefault(member_id, len(members))
        d = dishes.setdefault(dish_id, len(dishes))
        keys.setdefault((m, at), set()).add(d)
    order_keys = sorted(keys, key=lambda k: (k[0], k[1].replace(tzinfo=None), k[1]))
    n = len(order_keys)
    member = np.fromiter((k[0] for k in order_keys), np.int32, n)
    time = np.empty(n, np.float64)
    period = np.empty(n, np.int8)
    weekday = np.empty(n, np.int8)
    lengths = np.empty(n, np.int64)
    flat: list[int] = []
    for i, key in enumerate(order_keys):
        at = key[1]
        time[i] = (at.date() - EPOCH).days + (at.hour * 3600 + at.minute * 60 + at.second) / 86400
        period[i] = period_of_hour(at.hour)
        weekday[i] = at.weekday()
        ds = sorted(keys[key])
        lengths[i] = len(ds)
        flat.extend(ds)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return OrderLog(tuple(members), tuple(dishes), member, time, period, weekday, indptr,
                    np.asarray(flat, np.int32))


def _header(reader: Iterable[list[str]], source: str, want: tuple[str, ...]) -> None:
    header = next(iter(reader), None)
    if header is None:
        raise BadInput(source, 1, "the file is empty (expected a header " + ",".join(want) + ")")
    got = tuple(h.strip().lstrip("\ufeff") for h in header)
    if got[: len(want)] != want or len(got) != len(want):
        raise BadInput(source, 1, f"header must be {','.join(want)}, found {','.join(got)}")


def _cells(row: list[str], source: str, line: int, n: int) -> list[str]:
    if len(row) != n:
        raise BadInput(source, line, f"expected {n} columns, found {len(row)}")
    cells = [c.strip() for c in row]
    for c in cells:
        if not c:
            raise BadInput(source, line, "an empty value")
    return cells


def parse_time(text: str, source: str = "orders", line: int = 0) -> datetime:
    """An ISO 8601 ``ordered_at``; the local wall-clock time as written is what counts."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError as err:
        raise BadInput(source, line, f"ordered_at {text!r} is not an ISO 8601 time") from err
    return at.replace(tzinfo=None)


def read_orders(path: Path, dish_ids: Sequence[str] | None = None) -> OrderLog:
    """Read ``member_id,ordered_at,dish_id`` rows; BadInput names the first bad line.

    ``dish_ids`` (e.g. every dish of the menus) are indexed first, ordered or not.
    """
    source = str(path)
    rows: list[tuple[str, datetime, str]] = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            _header(reader, source, ORDER_COLUMNS)
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                member_id, at, dish_id = _cells(row, source, line, 3)
                rows.append((member_id, parse_time(at, source, line), dish_id))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise BadInput(source, 0, f"cannot read the file: {err}") from err
    if not rows:
        raise BadInput(source, 2, "no orders")
    return build_log(rows, dish_ids=dish_ids)


def read_menus(path: Path) -> dict[int, set[str]]:
    """Read ``date,dish_id`` rows: day number -> dish ids served that day."""
    source = str(path)
    menus: dict[int, set[str]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            _header(reader, source, MENU_COLUMNS)
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                day_text, dish_id = _cells(row, source, line, 2)
                try:
                    day = (date.fromisoformat(day_text[:10]) - EPOCH).days
                    if len(day_text) > 10:
                        datetime.fromisoformat(day_text)
                except ValueError as err:
                    raise BadInput(source, line, f"date {day_text!r} is not YYYY-MM-DD") from err
                menus.setdefault(day, set()).add(dish_id)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise BadInput(source, 0, f"cannot read the file: {err}") from err
    if not menus:
        raise BadInput(source, 2, "no menu rows")
    return menus


def menu_matrix(menus: dict[int, set[str]], dish_ids: Sequence[str]) -> dict[int, np.ndarray]:
    """Day -> boolean served-vector over ``dish_ids`` (dishes unknown to the log are ignored)."""
    index = {d: i for i, d in enumerate(dish_ids)}
    out: dict[int, np.ndarray] = {}
    for day, ids in menus.items():
        v = np.zeros(len(dish_ids), bool)
        v[[index[d] for d in ids if d in index]] = True
        out[day] = v
    return out
