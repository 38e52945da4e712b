"""The member web page's bookings tab (/member/bookings): the member's pre-bookings with
their pick-up QR, a form per meal period to book the coming days, cancellation before the
cut-off, and where today's main ingredients came from (issues 17, 19).

No script: each meal period the member may book has its own small form (day, what, how
many), so a choice never depends on another made in the same form. Booking and cancelling
go through `hub.member_portal.bookings`, i.e. the booking service, whose refusal (cut-off,
balance, menu) is shown in the page's language and writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub import i18n
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.i18n import lazy_gettext as _l
from hub.member_portal import bookings as member_bookings
from hub.member_portal.signin import csrf_token

if TYPE_CHECKING:
    from hub.admin.member_web import MemberWeb

BOOKING_STATES = {"booked": _l("Booked"), "picked_up": _l("Picked up"),
                  "cancelled": _l("Cancelled"), "no_show": _l("Not collected")}
DONE = {"booked": _l("Booked. Show the booking's code at the kiosk on the day."),
        "cancelled": _l("The booking is cancelled; the money it held is free again.")}


def in_page_language(message: str) -> str:
    """The booking service's "English / 中文" reason, in the page's language."""
    en, sep, zh = message.rpartition(" / ")
    if not sep:
        return message
    return zh if i18n.get_language() == "zh_Hans" else en


class BookingPages:
    """The tab's handlers, on the member web's plumbing (session, CSRF, rendering)."""

    def __init__(self, web: MemberWeb) -> None:
        self.web = web
        self.base = str(web.env.globals["base"])

    async def page(self, request: Request) -> Response:
        """The member's bookings, the booking forms and today's published origins."""
        def load(s: Session, member_id: int) -> dict[str, Any]:
            now = utcnow()
            return {"bookings": member_bookings.my_bookings(s, member_id=member_id, now=now),
                    "choices": member_bookings.choices(s, member_id=member_id, now=now),
                    "origins": member_bookings.todays_origins(s, member_id=member_id, now=now),
                    "done": DONE.get(request.query_params.get("done", "")),
                    "BOOKING_STATES": BOOKING_STATES}
        return await self.web.page(request, "bookings.html", load)

    async def _write(self, request: Request, act: Any, refused_title: Any) -> Response:
        """A bookings form: CSRF checked, ``act(session, member_id, form)`` done, back to the
        tab; a refusal shown in the page's language, nothing written."""
        web = self.web
        who = await web.signed_in(request)
        if who is None:
            return web.to_sign_in()
        form = await web.form_checked(request, who[1])
        if form is None:
            return web.csrf_refused(request)
        try:
            done = await web.db(lambda s: act(s, who[0], form))
        except (ConflictError, InvalidInputError, NotFoundError) as err:
            why = (_l("That booking is not yours or no longer exists.")
                   if isinstance(err, NotFoundError) else in_page_language(err.message))
            return web.render(request, "message.html", status_code=err.status_code,
                              title=refused_title, message=why,
                              csrf=csrf_token(web.secret, who[1]), back=f"{self.base}/bookings")
        return RedirectResponse(f"{self.base}/bookings?done={done}", status_code=303)

    async def book(self, request: Request) -> Response:
        """Book one meal period of one day: the form's site, period, day, what and quantity."""
        def act(s: Session, member_id: int, form: dict[str, str]) -> str:
            try:
                kind, dish_id, set_meal_id = member_bookings.parse_choice(form.get("what", ""))
                data = member_bookings.BookIn.model_validate({
                    "site_id": form.get("site_id"), "meal_period_id": form.get("meal_period_id"),
                    "day": form.get("day"), "kind": kind, "dish_id": dish_id,
                    "set_meal_id": set_meal_id, "qty": form.get("qty") or 1})
            except (ValueError, ValidationError) as err:
                raise InvalidInputError(str(_l("Choose a day, what to eat and how many.")),
                                        field="what") from err
            member_bookings.book(s, member_id=member_id, data=data, now=utcnow())
            return "booked"
        return await self._write(request, act, _l("Not booked"))

    async def cancel(self, request: Request) -> Response:
        """报停 one of the member's own open bookings before its cut-off."""
        booking_id = int(request.path_params["booking_id"])

        def act(s: Session, member_id: int, _form: dict[str, str]) -> str:
            member_bookings.cancel(s, member_id=member_id, booking_id=booking_id, now=utcnow())
            return "cancelled"
        return await self._write(request, act, _l("Not changed"))


def booking_routes(web: MemberWeb) -> list[BaseRoute]:
    """The tab's routes, mounted with the member web's others."""
    pages = BookingPages(web)
    return [Route("/bookings", pages.page, methods=["GET"]),
            Route("/bookings", pages.book, methods=["POST"]),
            Route("/bookings/{booking_id:int}/cancel", pages.cancel, methods=["POST"])]
