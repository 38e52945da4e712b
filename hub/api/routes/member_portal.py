"""/me: the member API of the member web page, apart from the staff API (issue 19).

Only a member session opens it (cookie or ``Bearer mps_...``); staff tokens get 403. The
member is always the session's: no route takes a member id, so a member reaches only
their own data. ``/me/sign-in/code`` and ``/me/sign-in`` need no token (the code is the
credential). Staff see and carry out erasure requests under ``/member-erasure-requests``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select

from hub.api.deps import CipherDep, CurrentUser, SessionDep, SettingsDep, require_role
from hub.api.pagination import PageParams, page_params
from hub.api.params import IdPath
from hub.db_types import utcnow
from hub.errors import ERROR_RESPONSES, ConflictError
from hub.member_portal import bookings as member_bookings
from hub.member_portal import data
from hub.member_portal.auth import MEMBER_COOKIE, MemberAuth, authenticate_member
from hub.member_portal.gateway import gateways_from_env
from hub.member_portal.signin import (
    SESSION_TTL,
    SignInRefused,
    csrf_token,
    end_session,
    request_code,
    verify_code,
)
from hub.members_io.privacy import erase_member
from hub.models.member_portal import ErasureRequest, ErasureState
from hub.models.users import Role
from hub.services.common import get_or_404

SIGN_IN_CODE_PATH = "/api/v1/me/sign-in/code"
SIGN_IN_PATH = "/api/v1/me/sign-in"
PUBLIC_MEMBER_ROUTES = frozenset({("POST", SIGN_IN_CODE_PATH), ("POST", SIGN_IN_PATH)})
"""The member routes that answer without a session (the code is the credential)."""

MEMBER_PREFIX = "/api/v1/me"

public_router = APIRouter(prefix="/me", tags=["member web"])
router = APIRouter(prefix="/me", tags=["member web"])
staff_router = APIRouter(prefix="/member-erasure-requests", tags=["member web"],
                         dependencies=[require_role(Role.ADMIN)])

SIGN_IN_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {**ERROR_RESPONSES[403], "description": "wrong, used or expired code"},
    422: ERROR_RESPONSES[422],
    429: {**ERROR_RESPONSES[403], "description": "too many codes or wrong tries"},
    503: {**ERROR_RESPONSES[503], "description": "the code could not be sent"},
}


def member_session(request: Request, session: SessionDep, settings: SettingsDep) -> MemberAuth:
    """The signed-in member (401 without a session, 403 for a staff token or bad CSRF)."""
    return authenticate_member(request, session, settings)


Me = Annotated[MemberAuth, Depends(member_session)]
PageDep = Annotated[PageParams, Depends(page_params)]


class CodeRequest(BaseModel):
    """Who asks for a code: their member number or phone number."""

    identifier: str = Field(min_length=1, max_length=64)
    language: Literal["zh", "en"] = "zh"


class CodeRequested(BaseModel):
    """Send this challenge back with the code; the same answer whether or not the member
    exists (a code went out only if they do and can be reached)."""

    challenge: str
    expires_at: datetime


class CodeIn(BaseModel):
    """The challenge of the code request and the 6 digits received."""

    challenge: str = Field(min_length=1, max_length=64)
    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$", max_length=16)


class SignedIn(BaseModel):
    """A member session: the bearer token (also set as an HttpOnly cookie) and the CSRF
    token cookie-authenticated writes send in X-CSRF-Token."""

    token: str
    csrf_token: str
    expires_at: datetime


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, whole-site path."""
    response.set_cookie(MEMBER_COOKIE, token, max_age=int(SESSION_TTL.total_seconds()),
                        path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def _refused(err: SignInRefused) -> JSONResponse:
    headers = {"Retry-After": str(err.retry_after_s)} if err.retry_after_s else None
    return JSONResponse({"detail": err.message}, status_code=err.status_code, headers=headers)


@public_router.post("/sign-in/code", status_code=status.HTTP_202_ACCEPTED,
                    response_model=CodeRequested, responses=SIGN_IN_RESPONSES)
def ask_for_code(body: CodeRequest, request: Request, session: SessionDep,
                 settings: SettingsDep, cipher: CipherDep) -> Any:
    """Send a one-time code to the member's e-mail (else SMS); rate limited."""
    try:
        sent = request_code(session, cipher=cipher, secret=settings.secret_key.get_secret_value(),
                            gateways=gateways_from_env(), identifier=body.identifier,
                            address=request.client.host if request.client else "unknown",
                            language=body.language, now=utcnow())
    except SignInRefused as err:
        return _refused(err)
    return CodeRequested(challenge=sent.challenge, expires_at=sent.expires_at)


@public_router.post("/sign-in", response_model=SignedIn, responses=SIGN_IN_RESPONSES)
def sign_in(body: CodeIn, request: Request, response: Response, session: SessionDep,
            settings: SettingsDep) -> Any:
    """Trade the code for a session (cookie and bearer token)."""
    secret = settings.secret_key.get_secret_value()
    try:
        started = verify_code(session, secret=secret, challenge=body.challenge,
                              code=body.code.strip(), now=utcnow())
    except SignInRefused as err:
        return _refused(err)
    set_session_cookie(response, request, started.token)
    return SignedIn(token=started.token, csrf_token=csrf_token(secret, started.token),
                    expires_at=started.expires_at)


@router.post("/sign-out", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(me: Me, session: SessionDep) -> Response:
    """End this session for good and forget the cookie."""
    end_session(session, token=me.token, now=utcnow())
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(MEMBER_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("", response_model=data.ProfileOut)
def my_profile(me: Me, session: SessionDep, cipher: CipherDep) -> data.ProfileOut:
    """The member's profile (phone masked) and consents."""
    return data.profile(session, cipher=cipher, member_id=me.member_id)


@router.get("/balances", response_model=data.BalancesOut)
def my_balances(me: Me, session: SessionDep) -> data.BalancesOut:
    """Stored value, bonus, subsidy usable now, points, tier."""
    return data.balances(session, member_id=me.member_id, now=utcnow())


@router.get("/ledger", response_model=data.LedgerPage)
def my_ledger(me: Me, session: SessionDep, page: PageDep) -> data.LedgerPage:
    """Every movement on the member's accounts, newest first."""
    return data.ledger_page(session, member_id=me.member_id, limit=page.limit,
                            offset=page.offset)


@router.get("/orders", response_model=data.OrderPage)
def my_orders(me: Me, session: SessionDep, page: PageDep) -> data.OrderPage:
    """The member's orders with their receipts, newest first."""
    return data.order_page(session, member_id=me.member_id, limit=page.limit,
                           offset=page.offset)


@router.get("/orders/{order_id}", response_model=data.OrderOut)
def my_order(me: Me, session: SessionDep,
             order_id: Annotated[str, Path(min_length=1, max_length=36)]) -> data.OrderOut:
    """One order's receipt (404 for an order that is not the member's)."""
    return data.order_receipt(session, member_id=me.member_id, order_id=order_id)


@router.get("/coupons", response_model=list[data.CouponOut])
def my_coupons(me: Me, session: SessionDep, cipher: CipherDep) -> list[data.CouponOut]:
    """The coupon wallet; each open coupon with its signed code for the kiosk's scanner."""
    return data.coupon_wallet(session, cipher=cipher, member_id=me.member_id, now=utcnow())


@router.get("/qr", response_model=data.QrOut)
def my_qr(me: Me, session: SessionDep, cipher: CipherDep, response: Response) -> data.QrOut:
    """The rotating member code (valid about two minutes) a kiosk verifies offline."""
    response.headers["Cache-Control"] = "no-store"
    return data.member_qr(session, cipher=cipher, member_id=me.member_id, now=utcnow())


@router.patch("/consents", response_model=data.ConsentsOut)
def my_consents(me: Me, body: data.ConsentChange, session: SessionDep,
                cipher: CipherDep) -> data.ConsentsOut:
    """Give or withdraw marketing consent; withdraw face consent (the template is deleted)."""
    return data.change_consents(session, cipher=cipher, member_id=me.member_id, change=body)


@router.get("/contact", response_model=data.ContactOut)
def my_contact(me: Me, session: SessionDep, cipher: CipherDep) -> data.ContactOut:
    """Where notifications reach the member: e-mail address (masked) and language."""
    return data.contact(session, cipher=cipher, member_id=me.member_id)


@router.patch("/contact", response_model=data.ContactOut,
              responses={422: ERROR_RESPONSES[422]})
def change_my_contact(me: Me, body: data.ContactChange, session: SessionDep,
                      cipher: CipherDep) -> data.ContactOut:
    """Set or remove the member's e-mail address, change their notification language
    (a bad address: 422, nothing changed)."""
    return data.change_contact(session, cipher=cipher, member_id=me.member_id, change=body,
                               now=utcnow())


BOOKING_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {**ERROR_RESPONSES[404], "description": "no such booking of this member"},
    409: {**ERROR_RESPONSES[409], "description": "already booked, not enough free balance, "
                                                 "or the booking is not open"},
    422: {**ERROR_RESPONSES[422], "description": "refused by the booking rules (cut-off, menu, "
                                                 "site): the field and reason, nothing written"},
}


@router.get("/bookings", response_model=list[member_bookings.BookingOut])
def my_bookings(me: Me, session: SessionDep) -> list[member_bookings.BookingOut]:
    """The member's pre-bookings of today and the coming days; an open one carries its
    pick-up code (``BK1:...``) for the kiosk's scanner."""
    return member_bookings.my_bookings(session, member_id=me.member_id, now=utcnow())


@router.post("/bookings", status_code=status.HTTP_201_CREATED,
             response_model=member_bookings.BookingOut, responses=BOOKING_RESPONSES)
def book_a_meal(me: Me, body: member_bookings.BookIn,
                session: SessionDep) -> member_bookings.BookingOut:
    """Book a meal (dish, set meal or "a meal") for a coming day at a canteen the member may
    eat at; the price is held and charged at pick-up. A repeated ``request_id`` answers the
    booking it made."""
    return member_bookings.book(session, member_id=me.member_id, data=body, now=utcnow())


@router.post("/bookings/{booking_id}/cancel", response_model=member_bookings.BookingOut,
             responses=BOOKING_RESPONSES)
def cancel_my_booking(me: Me, session: SessionDep,
                      booking_id: IdPath) -> member_bookings.BookingOut:
    """报停: cancel one of the member's open bookings before its cut-off (the hold is
    released); another member's booking is 404."""
    return member_bookings.cancel(session, member_id=me.member_id, booking_id=booking_id,
                                  now=utcnow())


@router.get("/export", response_model=dict[str, Any])
def my_export(me: Me, session: SessionDep, cipher: CipherDep) -> JSONResponse:
    """Everything the hub holds about the member, as one JSON file."""
    body = data.export(session, cipher=cipher, member_id=me.member_id)
    return JSONResponse(body, headers={
        "Content-Disposition": 'attachment; filename="my-canteen-data.json"',
        "Cache-Control": "no-store"})


@router.get("/erasure-request", response_model=data.ErasureOut | None)
def my_erasure_request(me: Me, session: SessionDep) -> data.ErasureOut | None:
    """The member's latest erasure request and its state (null: none)."""
    return data.erasure_state(session, member_id=me.member_id)


@router.post("/erasure-request", status_code=status.HTTP_201_CREATED,
             response_model=data.ErasureOut)
def ask_for_erasure(me: Me, session: SessionDep) -> data.ErasureOut:
    """Ask the canteen to erase the member's personal data (staff carry it out)."""
    return data.request_erasure(session, member_id=me.member_id, now=utcnow())


class ErasureRequestOut(BaseModel):
    """An erasure request as staff see it."""

    id: int
    member_id: int
    state: str
    requested_at: datetime
    handled_at: datetime | None
    handled_by: str | None


def _staff_out(row: ErasureRequest) -> ErasureRequestOut:
    return ErasureRequestOut(id=int(row.id or 0), member_id=row.member_id, state=row.state,
                             requested_at=row.requested_at, handled_at=row.handled_at,
                             handled_by=row.handled_by)


@staff_router.get("", response_model=list[ErasureRequestOut])
def erasure_requests(session: SessionDep,
                     state: Literal["open", "done", "refused"] | None = None
                     ) -> list[ErasureRequestOut]:
    """Erasure requests members made on the web page, oldest first."""
    query = select(ErasureRequest).order_by(col(ErasureRequest.id))
    if state is not None:
        query = query.where(ErasureRequest.state == state)
    return [_staff_out(r) for r in session.exec(query.limit(500))]


@staff_router.post("/{request_id}/erase", response_model=ErasureRequestOut)
def carry_out_erasure(request_id: IdPath, session: SessionDep,
                      user: CurrentUser) -> ErasureRequestOut:
    """Erase the member (hub.members_io.privacy.erase_member) and close the request."""
    row = get_or_404(session, ErasureRequest, request_id, what="erasure request")
    if row.state != ErasureState.OPEN.value:
        raise ConflictError(f"erasure request {request_id} is already {row.state}")
    row.state = ErasureState.DONE.value
    row.handled_at = utcnow()
    row.handled_by = user.username
    session.add(row)
    session.flush()
    erase_member(session=session, member_id=row.member_id, actor=user.username)  # commits
    session.refresh(row)
    return _staff_out(row)
