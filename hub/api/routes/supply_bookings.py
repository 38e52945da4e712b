"""/supply/bookings, /supply/booking-rules, /supply/headcount: meal pre-booking (报餐/报停).

The desk (cashier, manager, admin) books, cancels and hands over for a member, as the other
member routes do (the member is named by id); managers set the rules and release no-shows;
every staff role, the kitchen included, reads the headcount.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from hub.api.deps import EDITORS, MEMBER_DESK, STAFF, CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath, IdQuery
from hub.db_types import utcnow
from hub.models.bounds import MAX_ID
from hub.models.supply_bookings import (
    BookingCreate,
    BookingPublic,
    BookingRuleIn,
    BookingRulePublic,
    BookingStatus,
)
from hub.supply import bookings as svc

router = APIRouter(prefix="/supply", tags=["supply"])
desk = [require_role(*MEMBER_DESK)]


class HeadcountOut(BaseModel):
    """Portions booked for one dish / set meal / "a meal" in one meal period."""

    meal_period_id: int
    kind: str
    dish_id: int | None
    set_meal_id: int | None
    name_zh: str
    name_en: str
    booked: int
    picked_up: int
    no_show: int


class ReleaseOut(BaseModel):
    released: int


def _public(b: object) -> BookingPublic:
    return BookingPublic.model_validate(b, from_attributes=True)


@router.post("/bookings", response_model=BookingPublic, status_code=status.HTTP_201_CREATED,
             dependencies=desk)
def create_booking(session: SessionDep, user: CurrentUser, data: BookingCreate) -> BookingPublic:
    """Book a meal for a member; the price is held, charged at pick-up."""
    booking = svc.create_booking(session, data=data, now=utcnow(), actor=user.username)
    session.commit()
    return _public(booking)


@router.get("/bookings", response_model=Page[BookingPublic], dependencies=desk)
def list_bookings(session: SessionDep, page: PageDep, site_id: IdQuery = None,
                  member_id: IdQuery = None, day: date | None = None,
                  status_: Annotated[BookingStatus | None, Query(alias="status")] = None,
                  ) -> Page[BookingPublic]:
    """Bookings, filtered."""
    rows, total = svc.list_bookings(session, site_id=site_id, member_id=member_id, day=day,
                                    status=None if status_ is None else status_.value,
                                    limit=page.limit, offset=page.offset)
    return Page(items=[_public(b) for b in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.post("/bookings/{booking_id}/cancel", response_model=BookingPublic, dependencies=desk)
def cancel_booking(session: SessionDep, user: CurrentUser, booking_id: IdPath) -> BookingPublic:
    """报停: cancel before the cut-off; the hold is released."""
    booking = svc.cancel_booking(session, booking_id=booking_id, now=utcnow(),
                                 actor=user.username)
    session.commit()
    return _public(booking)


@router.post("/bookings/{booking_id}/pickup", response_model=BookingPublic, dependencies=desk)
def pick_up(session: SessionDep, user: CurrentUser, booking_id: IdPath) -> BookingPublic:
    """Hand the meal over; charged once (a repeat answers the booking as it is)."""
    booking = svc.pick_up(session, booking_id=booking_id, now=utcnow(), actor=user.username)
    session.commit()
    return _public(booking)


@router.post("/bookings/release-no-shows", response_model=ReleaseOut,
             dependencies=[require_role(*EDITORS)])
def release_no_shows(session: SessionDep) -> ReleaseOut:
    """Mark bookings whose meal is over as no-shows, releasing their holds."""
    released = svc.release_no_shows(session, now=utcnow())
    session.commit()
    return ReleaseOut(released=released)


@router.put("/booking-rules/{meal_period_id}", response_model=BookingRulePublic,
            dependencies=[require_role(*EDITORS)])
def put_rule(session: SessionDep, user: CurrentUser, meal_period_id: IdPath,
             site_id: Annotated[int, Query(ge=1, le=MAX_ID)], data: BookingRuleIn,
             ) -> BookingRulePublic:
    """Set the cut-off, how far ahead, and the price of "a meal" for a meal period."""
    rule = svc.set_rule(session, site_id=site_id, meal_period_id=meal_period_id, data=data,
                        actor=user.username, at=utcnow())
    session.commit()
    return BookingRulePublic.model_validate(rule, from_attributes=True)


@router.get("/headcount", response_model=list[HeadcountOut],
            dependencies=[require_role(*STAFF)])
def headcount(session: SessionDep, site_id: Annotated[int, Query(ge=1, le=MAX_ID)],
              day: date) -> list[HeadcountOut]:
    """The kitchen's pre-booked portions per meal period and dish for a day."""
    return [HeadcountOut(**vars(h)) for h in svc.headcount(session, site_id=site_id, day=day)]
