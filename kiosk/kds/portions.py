"""The kitchen display's portions panel: the meal's plan, and a button to record what was
cooked and left over (no Kivy here: tested without a window).

The plan comes down with the day's bookings (``bookings.snapshot``: the hub's newest
forecast per dish, never below the bookings, and the bookings themselves), so it shows
with the hub unreachable. Planned = the larger of the forecast and the portions booked.
The cook adjusts cooked (starts at the plan) and left over (starts at 0) per dish and
records; the record goes to the hub through the display's outbox (``portions.recorded``),
where it becomes the day's prepared portions and the left-overs overproduction waste
(hub.supply.kitchen_portions). Recording again replaces the earlier record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from edge_agent.kitchen.kds_store import KdsStore
from protocol.payloads.bookings import PortionsRecorded, RecordedDish

MAX_PORTIONS = 100_000

WORDS = {
    "zh": {"button": "份数", "title": "{period} 份数计划", "dish": "菜品", "plan": "计划",
           "booked": "预订", "cooked": "做了", "left": "剩余", "record": "记录做了/剩余",
           "close": "关闭", "none": "今天还没有份数计划（预测和预订）",
           "recorded": "已记录 {n} 道菜 {time}", "no_period": "现在不是供餐时间"},
    "en": {"button": "Portions", "title": "{period} portions plan", "dish": "Dish",
           "plan": "Plan", "booked": "Booked", "cooked": "Cooked", "left": "Left over",
           "record": "Record cooked / left over", "close": "Close",
           "none": "No portions plan for today yet (forecast and bookings)",
           "recorded": "Recorded {n} dishes at {time}", "no_period": "No meal is being served"},
}


@dataclass(frozen=True, slots=True)
class PortionLine:
    """One dish of the meal: the plan and what the cook has entered so far."""

    dish_id: str
    name: str
    forecast: int
    booked: int
    cooked: int
    left_over: int = 0

    @property
    def planned(self) -> int:
        """What to cook: the forecast, never below the bookings."""
        return max(self.forecast, self.booked)


class KdsPortions:
    """The panel's state: which meal, its dishes and the counters; ``record`` sends them."""

    def __init__(self, store: KdsStore, language: str,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 zone: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> None:
        """``zone``: the site's time zone (the kitchen config's): the plan is for its day."""
        self.store, self.now, self.zone = store, now, zone
        self.words = WORDS["zh" if language == "zh" else "en"]
        self.zh = language == "zh"
        self.day = ""
        self.period = ""
        self.period_name = ""
        self.lines: list[PortionLine] = []
        self.status = ""

    def load(self) -> list[PortionLine]:
        """Read the plan of the meal being served (or the next one today); counters reset."""
        local = self.now().astimezone(self.zone)
        self.day, self.lines, self.status = local.date().isoformat(), [], ""
        snap, catalog = self.store.day_plan(), self.store.catalog()
        periods = list(catalog.meal_periods) if catalog is not None else []
        hhmm = local.strftime("%H:%M")
        period = next((p for p in periods if p.contains(hhmm)), None) or next(
            (p for p in sorted(periods, key=lambda p: p.start) if p.start > hhmm), None)
        if period is None:
            self.period, self.period_name = "", ""
            self.status = self.words["no_period"]
            return self.lines
        self.period = period.code
        self.period_name = period.name_zh if self.zh else period.name_en
        if snap is None or snap.service_date != self.day:
            self.status = self.words["none"]
            return self.lines
        booked: Counter[str] = Counter()
        names: dict[str, str] = {}
        for b in snap.bookings:
            if b.meal_period == self.period and b.kind == "dish" and b.dish_id:
                booked[b.dish_id] += b.qty
                names[b.dish_id] = b.name_zh if self.zh else b.name_en
        forecast = {p.dish_id: p for p in snap.plan if p.meal_period == self.period}
        for dish_id in sorted(set(forecast) | set(booked)):
            plan = forecast.get(dish_id)
            name = (plan.name_zh if self.zh else plan.name_en) if plan else names[dish_id]
            line = PortionLine(dish_id, name, plan.forecast if plan else 0, booked[dish_id], 0)
            self.lines.append(replace(line, cooked=line.planned))
        if not self.lines:
            self.status = self.words["none"]
        return self.lines

    def adjust(self, dish_id: str, field: str, step: int) -> PortionLine:
        """Change cooked or left over of a dish by ``step`` (kept within 0..cooked)."""
        if field not in ("cooked", "left_over"):
            raise ValueError(f"unknown field {field!r}")
        for i, line in enumerate(self.lines):
            if line.dish_id == dish_id:
                if field == "cooked":
                    cooked = min(MAX_PORTIONS, max(0, line.cooked + step))
                    line = replace(line, cooked=cooked, left_over=min(line.left_over, cooked))
                else:
                    line = replace(line, left_over=min(line.cooked,
                                                       max(0, line.left_over + step)))
                self.lines[i] = line
                return line
        raise KeyError(dish_id)

    def record(self) -> str | None:
        """Queue the meal's counts for the hub; the message id, or None with nothing to send."""
        if not self.period or not self.lines:
            return None
        at = self.now()
        message_id = self.store.record_portions(PortionsRecorded(
            service_date=self.day, meal_period=self.period, at=at,
            dishes=tuple(RecordedDish(dish_id=ln.dish_id, cooked=ln.cooked,
                                      left_over=ln.left_over) for ln in self.lines)))
        self.status = self.words["recorded"].format(
            n=len(self.lines), time=at.astimezone(self.zone).strftime("%H:%M"))
        return message_id

    def rows(self) -> list[dict[str, str | int]]:
        """The panel's rows as plain data (the screen draws them)."""
        w = self.words
        return [{"dish_id": ln.dish_id, "name": ln.name,
                 "plan": f"{w['plan']} {ln.planned}" + (
                     f"（{w['booked']} {ln.booked}）" if self.zh and ln.booked
                     else f" ({w['booked']} {ln.booked})" if ln.booked else ""),
                 "cooked": ln.cooked, "left_over": ln.left_over} for ln in self.lines]

    def title(self) -> str:
        """The panel's heading."""
        return self.words["title"].format(period=self.period_name).strip()
