"""The public-holiday calendar as data: which days are off and which weekend days are worked.

China moves its holidays every year (调休): a holiday block is lengthened with weekend days that
are then worked on another weekend. The dates come from the State Council's yearly notice, so
they live in a CSV (`hub/supply/data/holidays_cn.csv`: `date,kind,name`, kind `holiday` or
`workday`), never in code: a new year is a new block of rows. Other calendars are other files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_CALENDAR = DATA_DIR / "holidays_cn.csv"
KINDS = ("holiday", "workday")


class CalendarError(ValueError):
    """A row of a holiday file that cannot be read: the line and the reason."""


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays and swapped workdays; every other day follows its weekday."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_off(self, day: date) -> bool:
        """True when offices are closed: a holiday, or a weekend day not worked in exchange."""
        if day in self.holidays:
            return True
        if day in self.workdays:
            return False
        return day.weekday() >= 5

    def features(self, days: Iterable[date]) -> dict[str, np.ndarray]:
        """Per day: weekday, holiday, swapped workday, off, and off the day before / after.

        The neighbours matter to a canteen: the last working day before a long holiday and the
        first one after it see fewer diners than the weekday alone says.
        """
        seq = list(days)
        n = len(seq)
        out = {
            "weekday": np.zeros(n), "holiday": np.zeros(n), "swap_workday": np.zeros(n),
            "off": np.zeros(n), "off_before": np.zeros(n), "off_after": np.zeros(n),
        }
        one = timedelta(days=1)
        for i, day in enumerate(seq):
            out["weekday"][i] = day.weekday()
            out["holiday"][i] = day in self.holidays
            out["swap_workday"][i] = day in self.workdays
            out["off"][i] = self.is_off(day)
            out["off_before"][i] = self.is_off(day - one)
            out["off_after"][i] = self.is_off(day + one)
        return out


def load_calendar(path: Path | str = DEFAULT_CALENDAR) -> HolidayCalendar:
    """Read a holiday CSV (`#` lines are comments); a bad row raises with its line number."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    with open(path, encoding="utf-8", newline="") as handle:
        lines = [(no, text) for no, text in enumerate(handle, start=1)
                 if text.strip() and not text.lstrip().startswith("#")]
    reader = csv.DictReader(text for _, text in lines)
    if reader.fieldnames is None or not {"date", "kind"} <= set(reader.fieldnames):
        raise CalendarError(f"{path}: the header must have the columns date,kind")
    for (line_no, _), row in zip(lines[1:], reader, strict=True):
        try:
            day = date.fromisoformat((row.get("date") or "").strip())
        except ValueError as exc:
            raise CalendarError(f"{path} line {line_no}: date: not YYYY-MM-DD") from exc
        kind = (row.get("kind") or "").strip()
        if kind not in KINDS:
            raise CalendarError(f"{path} line {line_no}: kind: one of {', '.join(KINDS)}")
        (holidays if kind == "holiday" else workdays).add(day)
    both = holidays & workdays
    if both:
        raise CalendarError(f"{path}: {min(both)} is both a holiday and a workday")
    return HolidayCalendar(frozenset(holidays), frozenset(workdays))


_DEFAULT: HolidayCalendar | None = None


def default_calendar() -> HolidayCalendar:
    """The shipped Chinese calendar, read once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_calendar()
    return _DEFAULT
