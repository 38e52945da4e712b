"""Pre-booking on the member web page and the member API (issues 17, 19): book a coming day's
meal, see it listed with a pick-up QR the kiosk's scanner reads (decoded back from the page's
own SVG), a booking after the cut-off refused with nothing written, cancel before the
cut-off, another member's booking 404, and where today's main ingredients came from, shown
only where the canteen publishes it. SQLite and PostgreSQL (the ``client`` fixture)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hardware.camera.decode import decode_qr
from hub.db_types import utcnow
from hub.downlinks.bookings import bookings_content
from hub.models.members import Member
from hub.models.sites import MealPeriod, Organisation
from hub.models.supply import ReceiptCreate, SupplySite
from hub.models.supply_bookings import Booking, BookingRuleIn, BookingStatus
from hub.supply import bookings as booking_service
from hub.supply import inventory
from kiosk.services.bookings import is_booking_code
from tests.member_portal.conftest import Diner, SignIn, page_sign_in, seed_diner
from tests.notify.conftest import SmtpServer
from tests.support.supply import Canteen, make_canteen

ZONE = ZoneInfo("Asia/Shanghai")  # make_canteen's site keeps the default zone
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
QR = re.compile(r'data-testid="booking-qr" data-code="([^"]+)"[^>]*>(<svg.*?</svg>)', re.S)
MODULE = re.compile(r"M(\d+),(\d+)H")


@dataclass
class Setting:
    """The canteen, its lunch period and two diners."""

    canteen: Canteen
    lunch: int
    a: Diner
    b: Diner


@pytest.fixture
def setting(client: TestClient) -> Setting:
    """make_canteen's site and lunch (00:00-23:59, dishes on its menu; without a booking rule
    booking closes when the meal starts, so today is closed and tomorrow open), then two
    diners with money (seed_diner reuses the site)."""
    app = client.app
    canteen = make_canteen(app.state.settings, devices=())  # type: ignore[attr-defined]
    canteen.engine.dispose()
    canteen.engine = app.state.engine  # type: ignore[attr-defined]
    with Session(canteen.engine) as s:
        lunch = s.exec(select(MealPeriod.id).where(MealPeriod.site_id == canteen.site_id)).one()
    assert lunch is not None
    return Setting(canteen, lunch, seed_diner(client, "M5001", cents=10000, name="王甲"),
                   seed_diner(client, "M5002", cents=5000, name="赵乙"))


def _today() -> datetime:
    return utcnow().astimezone(ZONE)


def _count(client: TestClient) -> int:
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        return int(s.exec(select(func.count()).select_from(Booking)).one())


def _decode_svg(svg: str) -> list[str]:
    """The QR's text, read by the kiosk's own decoder from the page's SVG drawn to pixels
    (each module of qrcode's path is "Mx,yH..V..H..z", one unit square)."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))  # type: ignore[union-attr]
    scale = 8
    image = np.full((size * scale, size * scale), 255, dtype=np.uint8)
    for x, y in MODULE.findall(svg):
        image[int(y) * scale:(int(y) + 1) * scale, int(x) * scale:(int(x) + 1) * scale] = 0
    return decode_qr(image)


def test_book_see_the_pickup_qr_and_cancel_on_the_page(
        client: TestClient, smtp: SmtpServer, setting: Setting) -> None:
    c, a = setting.canteen, setting.a
    tomorrow = (_today() + timedelta(days=1)).date()
    page_sign_in(client, smtp, a)
    page = client.get("/member/bookings?lang=zh_Hans")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "暂无今天及以后的预订" in page.text and 'href="/member/bookings"' in page.text
    # Today's lunch closed at 00:00: only the coming days are offered.
    assert f'value="{_today().date().isoformat()}"' not in page.text
    assert f'value="{tomorrow.isoformat()}"' in page.text
    csrf = CSRF.search(page.text)
    assert csrf
    form = {"csrf": csrf.group(1), "site_id": str(c.site_id),
            "meal_period_id": str(setting.lunch), "day": tomorrow.isoformat(),
            "what": f"dish:{c.dishes['d-kungpao']}", "qty": "2"}
    # Without the session's CSRF token: refused, nothing written.
    assert client.post("/member/bookings", data={**form, "csrf": "forged"}).status_code == 403
    assert _count(client) == 0
    done = client.post("/member/bookings", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/member/bookings?done=booked"
    page = client.get(done.headers["location"])
    assert "已预订。用餐当天在自助机出示预订码即可取餐。" in page.text
    assert "宫保鸡丁 ×2" in page.text and "￥36.00" in page.text and "已预订" in page.text
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        booking = s.exec(select(Booking)).one()
        assert (booking.member_id, booking.qty, booking.price_cents) == (a.id, 2, 3600)
        assert booking.actor == f"member-web:{a.id}"
    # The QR: the booking's wire id as the bookings downlink sends it to the kiosks on the
    # day, behind the prefix the kiosk's scanner takes for a booking.
    qr = QR.search(page.text)
    assert qr
    code = html.unescape(qr.group(1))
    noon = datetime.combine(tomorrow, time(12), ZONE)
    sent = bookings_content(client.app.state.engine, "site1", noon)  # type: ignore[attr-defined]
    assert [b["booking_id"] for b in sent["bookings"]] == [booking.uid]
    assert code == f"BK1:{booking.uid}" and is_booking_code(code)
    assert _decode_svg(qr.group(2)) == [code]
    # Booking today's lunch, closed at 00:00: the service's reason in the page's language.
    late = client.post("/member/bookings", data={**form, "day": _today().date().isoformat()})
    assert late.status_code == 422 and "本餐报餐已于" in late.text and "截止" in late.text
    late = client.post("/member/bookings?lang=en",
                       data={**form, "day": _today().date().isoformat()})
    assert late.status_code == 422 and "booking for this meal closed at" in late.text
    assert "本餐" not in late.text
    assert _count(client) == 1
    # Cancel (报停) before the cut-off: the hold is released, the QR is gone.
    cancel = client.post(f"/member/bookings/{booking.id}/cancel", data={"csrf": csrf.group(1)},
                         follow_redirects=False)
    assert cancel.status_code == 303
    page = client.get(cancel.headers["location"])
    assert "The booking is cancelled" in page.text and "Cancelled" in page.text
    assert 'data-testid="booking-qr"' not in page.text
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(Booking.status)).one() == BookingStatus.CANCELLED


def test_bookings_through_the_member_api(client: TestClient, sign_in: SignIn,
                                         setting: Setting) -> None:
    c, a, b = setting.canteen, setting.a, setting.b
    a_headers, b_headers = sign_in(a), sign_in(b)
    today = _today().date()
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        # A rule with a price for "a meal": closes at 00:00 of the day itself.
        booking_service.set_rule(s, site_id=c.site_id, meal_period_id=setting.lunch,
                                 data=BookingRuleIn(cutoff=time(0), meal_price_cents=1200),
                                 actor="test", at=utcnow())
        s.commit()
    body = {"site_id": c.site_id, "meal_period_id": setting.lunch,
            "day": (today + timedelta(days=2)).isoformat(), "kind": "meal"}
    # The member is always the session's: a body naming one is refused.
    r = client.post("/api/v1/me/bookings", json={**body, "member_id": b.id}, headers=a_headers)
    assert r.status_code == 422
    r = client.post("/api/v1/me/bookings", json={**body, "day": today.isoformat()},
                    headers=a_headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "day"]
    assert "本餐报餐已于" in r.json()["detail"][0]["msg"]
    assert _count(client) == 0
    r = client.post("/api/v1/me/bookings", json=body, headers=a_headers)
    assert r.status_code == 201, r.text
    mine = r.json()
    assert (mine["name_en"], mine["price_cents"], mine["status"]) == ("A meal", 1200, "booked")
    assert is_booking_code(mine["code"]) and mine["can_cancel"] is True
    listed = client.get("/api/v1/me/bookings", headers=a_headers).json()
    assert [x["id"] for x in listed] == [mine["id"]] and listed[0]["code"] == mine["code"]
    # B sees none of A's bookings and cannot cancel one: 404, as if it did not exist.
    assert client.get("/api/v1/me/bookings", headers=b_headers).json() == []
    r = client.post(f"/api/v1/me/bookings/{mine['id']}/cancel", headers=b_headers)
    assert r.status_code == 404
    # A booking of today, already closed, cannot be cancelled: refused with the field.
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        s.add(Booking(uid="7a1f0c3e-0000-4000-8000-000000000001", member_id=a.id,
                      site_id=c.site_id, meal_period_id=setting.lunch, day=today, kind="meal",
                      price_cents=1200, created_at=utcnow() - timedelta(days=1)))
        s.commit()
        closed = s.exec(select(Booking.id).where(Booking.day == today)).one()
    r = client.post(f"/api/v1/me/bookings/{closed}/cancel", headers=a_headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "booking_id"]
    r = client.post(f"/api/v1/me/bookings/{mine['id']}/cancel", headers=a_headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["code"] is None
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        states = dict(s.exec(select(Booking.id, Booking.status)).all())
    assert states == {mine["id"]: "cancelled", closed: "booked"}


def test_origins_of_todays_main_ingredients_only_where_published(
        client: TestClient, smtp: SmtpServer, setting: Setting) -> None:
    c = setting.canteen
    now = utcnow()
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        inventory.receive(session=s, actor="clerk", now=now, data=ReceiptCreate.model_validate({
            "site_id": c.site_id, "supplier_id": c.suppliers["farm"], "reference": "DN-1",
            "lines": [{"ingredient_id": c.ingredients["chicken"], "qty": 1000.0,
                       "lot_code": "CK-A", "produced_on": "2026-03-01",
                       "expires_on": (now + timedelta(days=30)).date().isoformat()}]}))
        s.commit()
    page_sign_in(client, smtp, setting.a)
    page = client.get("/member/bookings?lang=en")
    assert "Where today's food comes from" in page.text
    assert re.search(r'Kung Pao chicken</span>\s*<span class="right">Chicken thigh: '
                     r"Green Source Farm, lot 2026-03-01", page.text), page.text
    zh = client.get("/member/bookings?lang=zh_Hans")
    assert "今日食材来源" in zh.text and "鸡腿肉：绿源农场，批次 2026-03-01" in zh.text
    # Tomato is not a main ingredient, rice has no lot: nothing shown for them.
    assert "Tomato" not in page.text.split("Where today")[1]
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        row = s.exec(select(SupplySite).where(SupplySite.site_id == c.site_id)).one()
        row.publish_origin = False
        s.add(row)
        s.commit()
    hidden = client.get("/member/bookings?lang=en")
    assert hidden.status_code == 200 and "Where today" not in hidden.text
    assert "Green Source Farm" not in hidden.text


def test_only_the_canteens_the_member_may_eat_at(client: TestClient, sign_in: SignIn,
                                                 smtp: SmtpServer, setting: Setting) -> None:
    """A member of an employer books only at that employer's canteens: the open site1 (no
    organisation) is not offered, and booking there is refused with the field."""
    c, a = setting.canteen, setting.a
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        org = Organisation(code="acme", name_zh="极点科技", name_en="Acme Tech")
        s.add(org)
        s.flush()
        member = s.get(Member, a.id)
        assert member is not None
        member.organisation_id = org.id
        s.add(member)
        s.commit()
    headers = sign_in(a)
    body = {"site_id": c.site_id, "meal_period_id": setting.lunch,
            "day": (_today() + timedelta(days=1)).date().isoformat(), "kind": "dish",
            "dish_id": c.dishes["d-kungpao"]}
    r = client.post("/api/v1/me/bookings", json=body, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "site_id"]
    assert _count(client) == 0
    page_sign_in(client, smtp, a, count=2)
    page = client.get("/member/bookings?lang=en")
    assert "Nothing can be booked right now." in page.text and 'data-testid="book-form"' \
        not in page.text
