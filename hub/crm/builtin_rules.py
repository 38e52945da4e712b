"""The tag rules the hub ships (issue 13), as data: the same JSON an administrator writes."""

from __future__ import annotations

from typing import Any

# code -> (name_zh, name_en, definition)
BUILTIN_RULES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "monthly_regular": (
        "月度常客", "Monthly regular",
        {"kind": "metric", "metric": "visits", "window_days": 30, "op": ">=", "value": 12},
    ),
    "likes_spicy": (
        "爱吃辣", "Likes spicy",
        {"kind": "consecutive", "count": 3, "dish": {"tags": ["spicy"]}, "window_days": 60},
    ),
    "weekday_lunch_regular": (
        "工作日午餐常客", "Weekday-lunch regular",
        {"kind": "all", "items": [
            {"kind": "metric", "metric": "visits", "window_days": 30, "op": ">=", "value": 8},
            {"kind": "metric", "metric": "share_meal_period", "meal_period": "lunch",
             "window_days": 30, "op": ">=", "value": 0.6},
            {"kind": "metric", "metric": "share_weekdays", "window_days": 30, "op": ">=",
             "value": 0.8},
        ]},
    ),
    "weekend_diner": (
        "周末食客", "Weekend diner",
        {"kind": "all", "items": [
            {"kind": "metric", "metric": "distinct_days", "window_days": 60, "op": ">=",
             "value": 3},
            {"kind": "metric", "metric": "share_weekends", "window_days": 60, "op": ">=",
             "value": 0.5},
        ]},
    ),
    "dessert_lover": (
        "甜品爱好者", "Dessert lover",
        {"kind": "all", "items": [
            {"kind": "metric", "metric": "visits", "window_days": 60, "op": ">=", "value": 4},
            {"kind": "metric", "metric": "share_dish", "window_days": 60, "op": ">=",
             "value": 0.4, "dish": {"tags": ["dessert", "sweet"], "categories": ["dessert"]}},
        ]},
    ),
    "big_spender": (
        "高消费", "Big spender",
        {"kind": "top_percent", "metric": "spend_cents", "window_days": 90, "percent": 20},
    ),
    "churn_risk": (
        "流失风险", "Churn risk",
        {"kind": "rate_drop", "recent_days": 30, "baseline_days": 90, "ratio": 0.5,
         "min_baseline_visits": 4},
    ),
    "new_member": (
        "新会员", "New member",
        {"kind": "first_visit", "within_days": 14},
    ),
    "birthday_month": (
        "本月生日", "Birthday this month",
        {"kind": "birthday", "within": "month"},
    ),
    "no_coriander": (
        "不吃香菜", "No coriander",
        {"kind": "modifier", "code": "no_coriander", "min_count": 3},
    ),
}
