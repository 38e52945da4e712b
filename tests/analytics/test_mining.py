"""Mining: dishes bought together with exact support, confidence and lift; diner groups."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from hub.analytics.mining import DinerFeatures, group_diners
from hub.models.users import Role
from tests.analytics.conftest import Seeded

Shell = Callable[[Role], TestClient]
DAYS = {"start": "2025-03-03", "end": "2025-03-04"}


def _rules(html: str) -> list[list[str]]:
    body = html.split('data-testid="rules"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.split(r"</td>\s*<td[^>]*>", r)]
            for r in rows]


def test_pairs_bought_together_with_support_confidence_and_lift(seeded: Seeded,
                                                                shell: Shell) -> None:
    c = shell(Role.MANAGER)
    page = c.get("/admin/console/mining", params={**DAYS, "support": "0.2", "lang": "en"})
    assert page.status_code == 200
    # Six orders: rice and pork together in A001 and A003; rice in three orders, pork in
    # three: support 2/6, confidence 2/3, lift (2/3) / (3/6) = 1.33, both ways.
    assert _rules(page.text) == [
        ["Braised pork", "Rice", "2", "33.3 %", "67 %", "1.33",
         "Offer Braised pork + Rice as a set meal"],
        ["Rice", "Braised pork", "2", "33.3 %", "67 %", "1.33",
         "Offer Rice + Braised pork as a set meal"]]
    zh = c.get("/admin/console/mining", params={**DAYS, "support": "0.2", "lang": "zh_Hans"})
    assert "推出套餐：红烧肉 + 米饭" in zh.text
    # Within dinner only one order: nothing is bought together there.
    dinner = c.get("/admin/console/mining", params={**DAYS, "meal_period": "dinner"})
    assert 'data-testid="no-rules"' in dinner.text
    # Three members in all: too few to group.
    assert 'data-testid="no-groups"' in page.text


def test_bad_filters_are_refused_and_odd_thresholds_bounded(seeded: Seeded,
                                                           shell: Shell) -> None:
    c = shell(Role.MANAGER)
    for params in ({"start": "2025-03-10", "end": "2025-03-01"}, {"site": "nowhere"}):
        page = c.get("/admin/console/mining", params=params)
        assert page.status_code == 400 and 'data-testid="console-error"' in page.text
    odd = c.get("/admin/console/mining", params={**DAYS, "support": "-5", "confidence": "x"})
    assert odd.status_code == 200 and 'value="0.001"' in odd.text


def _diner(i: int, *, breakfast: bool) -> DinerFeatures:
    if breakfast:  # comes daily for a cheap breakfast of buns
        return DinerFeatures(i, f"B{i:03d}", 20 + i % 3, (20 + i % 3) * 600, 1 + i % 2,
                             {"breakfast": 0.9, "lunch": 0.1}, 0.0, {"bun": 0.8, "soup": 0.2})
    return DinerFeatures(i, f"D{i:03d}", 3 + i % 2, (3 + i % 2) * 3_500, 12 + i % 4,
                         {"dinner": 0.8, "lunch": 0.2}, 0.6, {"wok": 0.9, "rice": 0.1})


def test_two_kinds_of_diner_come_out_as_two_groups() -> None:
    diners = [_diner(i, breakfast=True) for i in range(12)] + \
             [_diner(100 + i, breakfast=False) for i in range(8)]
    grouping = group_diners(diners)
    assert [g.members for g in grouping.groups] == [12, 8]
    early, late = grouping.groups
    assert early.main_period == "breakfast" and early.main_category == "bun"
    assert late.main_period == "dinner" and late.main_category == "wok"
    assert early.member_nos[0] == "B000" and late.average_ticket_cents == 3_500
    assert dict(late.traits).get("average_ticket", 0) > 0.5
    assert grouping.silhouette is not None and grouping.silhouette > 0.5
    # Deterministic: the same diners give the same groups.
    assert group_diners(diners) == grouping
