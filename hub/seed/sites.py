"""The demo organisations, their canteens, meal periods and devices (plain data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from hub.seed.records import BREAKFAST, DINNER, LATE, LUNCH

REFERENCE_DATE = date(2025, 9, 1)
"""The fixed "today" of the demo data: the seed never reads the clock."""

REFERENCE_TIME = datetime(2025, 9, 1, 0, 0, tzinfo=UTC)
"""Creation time written on every seeded row (UTC)."""

TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class MealPeriodSeed:
    """A serving window in the site's local time (may cross midnight)."""

    code: str
    name_zh: str
    name_en: str
    start: time
    end: time


@dataclass(frozen=True)
class DeviceSeed:
    """A kiosk, kitchen display or pickup board of a site."""

    code: str
    kind: str
    name: str


@dataclass(frozen=True)
class SiteSeed:
    """One canteen with its organisation, meal periods and devices."""

    org_code: str
    org_name_zh: str
    org_name_en: str
    code: str
    name_zh: str
    name_en: str
    meal_periods: tuple[MealPeriodSeed, ...]
    devices: tuple[DeviceSeed, ...]


def _devices(prefix: str, label: str) -> tuple[DeviceSeed, ...]:
    return (
        DeviceSeed(f"{prefix}-kiosk-01", "kiosk", f"{label} 自助点餐机1号 / Kiosk 1"),
        DeviceSeed(f"{prefix}-kiosk-02", "kiosk", f"{label} 自助点餐机2号 / Kiosk 2"),
        DeviceSeed(f"{prefix}-kds-01", "kds", f"{label} 后厨显示屏 / Kitchen Display"),
        DeviceSeed(f"{prefix}-pickup-01", "pickup", f"{label} 取餐叫号屏 / Pickup Board"),
    )


XINGHE = SiteSeed(
    org_code="xinghe",
    org_name_zh="星河科技园",
    org_name_en="Xinghe Tech Park",
    code="xinghe-staff",
    name_zh="星河科技园职工食堂",
    name_en="Xinghe Tech Park Staff Canteen",
    meal_periods=(
        MealPeriodSeed(BREAKFAST, "早餐", "Breakfast", time(7, 0), time(9, 30)),
        MealPeriodSeed(LUNCH, "午餐", "Lunch", time(11, 0), time(13, 30)),
        MealPeriodSeed(DINNER, "晚餐", "Dinner", time(17, 0), time(19, 30)),
        # overtime engineers eat late: the window crosses midnight
        MealPeriodSeed(LATE, "夜宵", "Late Snack", time(21, 0), time(0, 30)),
    ),
    devices=_devices("xinghe", "星河"),
)

SHIYAN = SiteSeed(
    org_code="shiyan-school",
    org_name_zh="实验中学",
    org_name_en="Shiyan Middle School",
    code="shiyan-canteen",
    name_zh="实验中学食堂",
    name_en="Shiyan Middle School Canteen",
    meal_periods=(
        MealPeriodSeed(BREAKFAST, "早餐", "Breakfast", time(6, 30), time(7, 40)),
        MealPeriodSeed(LUNCH, "午餐", "Lunch", time(11, 50), time(13, 0)),
        MealPeriodSeed(DINNER, "晚餐", "Dinner", time(17, 20), time(18, 30)),
        # boarders' snack after evening self-study
        MealPeriodSeed(LATE, "晚自习加餐", "Evening Snack", time(21, 10), time(21, 50)),
    ),
    devices=_devices("shiyan", "实验"),
)

SITES: tuple[SiteSeed, ...] = (XINGHE, SHIYAN)
