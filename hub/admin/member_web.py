"""The member web page at /member: server-rendered, mobile first, zh/en, no CDN (issue 19).

A small app of its own, mounted on the hub: its audience is diners on their phones, not
staff, so it shares nothing with the SQLAdmin shell but the catalogs and the language
negotiation. Every page but sign-in needs a member session (the HttpOnly, SameSite=Strict
cookie the sign-in sets); every form carries a CSRF token: the session's synchronizer
token once signed in, a double-submit cookie on the two sign-in forms.
"""

from __future__ import annotations

import hmac
import io
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import jinja2
import qrcode
import qrcode.image.svg
from fastapi import FastAPI
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub import i18n
from hub.admin.member_web_bookings import booking_routes
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.i18n import lazy_gettext as _l
from hub.member_portal import data
from hub.member_portal.auth import MEMBER_COOKIE
from hub.member_portal.gateway import gateways_from_env
from hub.member_portal.signin import (
    SESSION_TTL,
    GatewayUnavailable,
    SignInRefused,
    csrf_token,
    end_session,
    request_code,
    session_member,
    verify_code,
)
from hub.models.members import Member
from hub.models.surveys import Survey
from hub.settings import Settings
from hub.surveys import service as surveys
from rules.money import format_cents

MEMBER_WEB_PATH = "/member"
PRE_CSRF_COOKIE = "canteen_member_csrf"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "member_web"
ZONE = ZoneInfo("Asia/Shanghai")

REFUSALS = {
    "address_limit": _l("Too many codes were asked for from this network. Try again in an hour."),
    "member_limit": _l("Too many codes were asked for this member. Try again in an hour."),
    "wrong": _l("Wrong code. Check the code and try again."),
    "used": _l("This code was already used. Ask for a new code."),
    "expired": _l("This code has expired. Ask for a new code."),
    "attempts": _l("Too many wrong tries. Ask for a new code."),
}
ACCOUNTS = {"paid": _l("Stored value"), "bonus": _l("Bonus balance"),
            "subsidy": _l("Meal subsidy"), "points": _l("Points")}
ENTRY_KINDS = {"topup": _l("Top-up"), "topup_bonus": _l("Top-up bonus"),
               "spend": _l("Meal"), "refund": _l("Refund"), "adjustment": _l("Adjustment"),
               "grant": _l("Subsidy granted"), "expiry": _l("Expired"),
               "earn": _l("Points earned"), "redeem": _l("Points used")}
COUPON_STATES = {"issued": _l("Ready to use"), "redeemed": _l("Coupon used"), "void": _l("Void"),
                 "expired": _l("Expired")}


def qr_svg(text: str) -> Markup:
    """An inline SVG QR code of ``text`` (qrcode's path image; nothing loaded from outside)."""
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=3)
    buffer = io.BytesIO()
    img.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration: the SVG sits inside HTML
    return Markup(svg)  # qrcode's own markup of our own token: no user text in it


def _local(at: datetime | None) -> str:
    return "" if at is None else at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


def _lang_code() -> str:
    return "zh" if i18n.get_language() == "zh_Hans" else "en"


# What the settings' services refuse, as the member reads it (else their English message).
CHANGE_REFUSALS = {
    "not an e-mail address": _l("That is not an e-mail address (it looks like name@example.com). "
                                "Nothing was changed."),
    "language must be zh or en": _l("Choose 中文 or English for your messages."),
}


# What hub.surveys refuses an answer for, as the member reads it.
ANSWER_REFUSALS = {
    "this question needs an answer": _l("Please answer every question marked as required."),
    "a rating is a whole number from 1 to 5": _l("Please choose 1 to 5 stars."),
    "an unknown or repeated option": _l("Please choose from the options shown."),
    "this survey is closed": _l("This survey has closed."),
    "not open": _l("This survey is not open to you."),
}


class MemberWeb:
    """The pages; each request gets its own database session in a worker thread."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.cipher = FieldCipher.from_settings(settings)
        self.secret = settings.secret_key.get_secret_value()
        self.env = i18n.jinja_environment(jinja2.FileSystemLoader(str(TEMPLATES)))
        self.env.globals.update(money=format_cents, local=_local, qr_svg=qr_svg,
                                ACCOUNTS=ACCOUNTS, ENTRY_KINDS=ENTRY_KINDS,
                                COUPON_STATES=COUPON_STATES, base=MEMBER_WEB_PATH)

    # -- plumbing -------------------------------------------------------------------------

    def render(self, request: Request, name: str, status_code: int = 200,
               **context: Any) -> HTMLResponse:
        """A page in the request's language; never cached (it shows personal data)."""
        html = self.env.get_template(name).render(
            request=request, lang=i18n.get_language(), path=request.url.path, **context)
        return HTMLResponse(html, status_code=status_code, headers={
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; "
                                       "img-src 'self' data:; form-action 'self'; "
                                       "frame-ancestors 'none'; base-uri 'none'"})

    async def db(self, fn: Callable[[Session], Any]) -> Any:
        """Run ``fn`` with a session in a worker thread (the database calls block)."""
        lang = i18n.get_language()

        def run() -> Any:
            i18n.set_language(lang)
            with Session(self.engine) as session:
                return fn(session)

        return await anyio.to_thread.run_sync(run)

    def _member_of(self, session: Session, token: str | None) -> int | None:
        if not token:
            return None
        row = session_member(session, token=token, now=utcnow())
        return None if row is None else row.member_id

    async def signed_in(self, request: Request) -> tuple[int, str] | None:
        """(member id, session token) of the cookie's live session, else None."""
        token = request.cookies.get(MEMBER_COOKIE)
        member_id = await self.db(lambda s: self._member_of(s, token))
        return None if member_id is None or token is None else (member_id, token)

    @staticmethod
    def to_sign_in() -> RedirectResponse:
        """Back to the sign-in page (303 keeps a POST from being repeated)."""
        return RedirectResponse(f"{MEMBER_WEB_PATH}/sign-in", status_code=303)

    async def form_checked(self, request: Request, token: str) -> dict[str, str] | None:
        """The posted form when its CSRF field is the session's token, else None."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        sent = form.get("csrf", "")
        expected = csrf_token(self.secret, token)
        return form if hmac.compare_digest(sent.encode(), expected.encode()) else None

    def csrf_refused(self, request: Request) -> HTMLResponse:
        """A form without the right CSRF token: refused, nothing changed."""
        return self.render(request, "message.html", status_code=403,
                           title=_l("Request refused"),
                           message=_l("This form has expired or did not come from this page. "
                                      "Go back, reload the page and try again."))

    async def page(self, request: Request, name: str,
                   load: Callable[[Session, int], dict[str, Any]]) -> Response:
        """A signed-in page: the member's data loaded by ``load``, else to sign-in."""
        who = await self.signed_in(request)
        if who is None:
            return self.to_sign_in()
        member_id, token = who
        context = await self.db(lambda s: load(s, member_id))
        return self.render(request, name, csrf=csrf_token(self.secret, token), signed_in=True,
                           **context)

    # -- sign-in --------------------------------------------------------------------------

    def _pre_csrf(self, request: Request) -> str:
        return request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(24)

    def _with_pre_csrf(self, response: Response, value: str) -> Response:
        response.set_cookie(PRE_CSRF_COOKIE, value, max_age=3600, path=MEMBER_WEB_PATH,
                            httponly=True, samesite="strict")
        return response

    async def _pre_form(self, request: Request) -> dict[str, str] | None:
        form = {k: str(v) for k, v in (await request.form()).items()}
        cookie = request.cookies.get(PRE_CSRF_COOKIE, "")
        sent = form.get("csrf", "")
        if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
            return None
        return form

    async def sign_in_page(self, request: Request) -> Response:
        """The sign-in form: member number or phone number."""
        if await self.signed_in(request) is not None:
            return RedirectResponse(f"{MEMBER_WEB_PATH}/", status_code=303)
        pre = self._pre_csrf(request)
        return self._with_pre_csrf(self.render(request, "sign_in.html", csrf=pre), pre)

    async def ask_code(self, request: Request) -> Response:
        """Send the code, then show the code form (the challenge in a hidden field)."""
        form = await self._pre_form(request)
        if form is None:
            return self.csrf_refused(request)
        identifier = form.get("identifier", "").strip()[:64]
        csrf = request.cookies.get(PRE_CSRF_COOKIE, "")
        if not identifier:
            return self.render(request, "sign_in.html", status_code=422, csrf=csrf,
                               error=_l("Enter your member number or phone number."))
        address = request.client.host if request.client else "unknown"
        try:
            sent = await self.db(lambda s: request_code(
                s, cipher=self.cipher, secret=self.secret, gateways=gateways_from_env(),
                identifier=identifier, address=address, language=_lang_code(), now=utcnow()))
        except SignInRefused as err:
            return self.render(request, "sign_in.html", status_code=err.status_code,
                               csrf=csrf, error=REFUSALS.get(err.reason, err.message))
        except GatewayUnavailable:
            return self.render(request, "sign_in.html", status_code=503, csrf=csrf,
                               error=_l("The code could not be sent just now. "
                                        "Try again in a few minutes."))
        return self.render(request, "code.html", csrf=csrf, challenge=sent.challenge,
                           minutes=int((sent.expires_at - utcnow()).total_seconds() // 60) + 1)

    async def check_code(self, request: Request) -> Response:
        """Trade the code for a session cookie, then home."""
        form = await self._pre_form(request)
        if form is None:
            return self.csrf_refused(request)
        challenge = form.get("challenge", "")[:64]
        code = form.get("code", "").strip()[:16]
        csrf = request.cookies.get(PRE_CSRF_COOKIE, "")
        if not (code.isdigit() and len(code) == 6):
            return self.render(request, "code.html", status_code=422, csrf=csrf,
                               challenge=challenge, error=_l("The code is 6 digits."))
        try:
            started = await self.db(lambda s: verify_code(
                s, secret=self.secret, challenge=challenge, code=code, now=utcnow()))
        except SignInRefused as err:
            return self.render(request, "code.html", status_code=err.status_code, csrf=csrf,
                               challenge=challenge, error=REFUSALS.get(err.reason, err.message))
        response = RedirectResponse(f"{MEMBER_WEB_PATH}/", status_code=303)
        response.set_cookie(MEMBER_COOKIE, started.token, path="/", httponly=True,
                            samesite="strict", max_age=int(SESSION_TTL.total_seconds()),
                            secure=request.url.scheme == "https")
        response.delete_cookie(PRE_CSRF_COOKIE, path=MEMBER_WEB_PATH)
        return response

    async def sign_out(self, request: Request) -> Response:
        """End the session (CSRF-checked), forget the cookie."""
        who = await self.signed_in(request)
        if who is None:
            return self.to_sign_in()
        if await self.form_checked(request, who[1]) is None:
            return self.csrf_refused(request)
        await self.db(lambda s: end_session(s, token=who[1], now=utcnow()))
        response = self.to_sign_in()
        response.delete_cookie(MEMBER_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    # -- the member's pages ---------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        """QR member code (the page reloads itself before the code expires) and balances."""
        def load(s: Session, member_id: int) -> dict[str, Any]:
            now = utcnow()
            return {"profile": data.profile(s, cipher=self.cipher, member_id=member_id),
                    "qr": data.member_qr(s, cipher=self.cipher, member_id=member_id, now=now),
                    "balances": data.balances(s, member_id=member_id, now=now)}
        return await self.page(request, "home.html", load)

    async def ledger(self, request: Request) -> Response:
        """The newest 100 movements."""
        return await self.page(request, "ledger.html", lambda s, m: {
            "entries": data.ledger_page(s, member_id=m, limit=100, offset=0)})

    async def orders(self, request: Request) -> Response:
        """The newest 50 orders with their receipts."""
        return await self.page(request, "orders.html", lambda s, m: {
            "orders": data.order_page(s, member_id=m, limit=50, offset=0)})

    async def coupons(self, request: Request) -> Response:
        """The wallet: each open coupon as a QR the kiosk's scanner reads."""
        return await self.page(request, "coupons.html", lambda s, m: {
            "coupons": data.coupon_wallet(s, cipher=self.cipher, member_id=m, now=utcnow())})

    async def surveys(self, request: Request) -> Response:
        """Dish votes and short surveys open to this member, with their answers so far."""
        def load(s: Session, member_id: int) -> dict[str, Any]:
            member = s.get(Member, member_id)
            open_now = surveys.open_for_member(s, member, utcnow()) if member else []
            return {"surveys": [(sv, surveys.questions_of(sv),
                                 surveys.answer_of(s, sv.id or 0, member_id)) for sv in open_now],
                    "done": request.query_params.get("done", "")}
        return await self.page(request, "surveys.html", load)

    async def answer_survey(self, request: Request) -> Response:
        """One survey's form: CSRF checked, the answers saved whole or refused whole."""
        who = await self.signed_in(request)
        if who is None:
            return self.to_sign_in()
        form = await request.form()
        expected = csrf_token(self.secret, who[1])
        if not hmac.compare_digest(str(form.get("csrf", "")).encode(), expected.encode()):
            return self.csrf_refused(request)
        survey_id = int(request.path_params["survey_id"])

        def act(s: Session) -> object:
            member = s.get(Member, who[0])
            survey = s.get(Survey, survey_id)
            if member is None or survey is None:
                raise NotFoundError(f"survey {survey_id} not found")
            answers: dict[str, Any] = {}
            for q in surveys.questions_of(survey):
                picked = [str(v) for v in form.getlist(f"q_{q.code}") if str(v)]
                if q.kind == "rating":
                    answers[q.code] = int(picked[0]) if picked and picked[0].isdigit() else None
                elif q.kind == "choice":
                    answers[q.code] = picked
                else:
                    answers[q.code] = picked[0] if picked else None
            return surveys.answer(s, survey_id=survey_id, member=member, answers=answers,
                                  now=utcnow())

        try:
            await self.db(act)
        except (ConflictError, InvalidInputError, NotFoundError) as err:
            why = str(ANSWER_REFUSALS["not open"] if isinstance(err, NotFoundError)
                      else ANSWER_REFUSALS.get(err.message, err.message))
            return self.render(request, "message.html", status_code=err.status_code,
                               title=_l("Not changed"), message=why,
                               csrf=csrf_token(self.secret, who[1]))
        return RedirectResponse(f"{MEMBER_WEB_PATH}/surveys?done={survey_id}", status_code=303)

    async def settings_page(self, request: Request) -> Response:
        """Consents, e-mail and language for notifications, data export, erasure request."""
        return await self.page(request, "settings.html", lambda s, m: {
            "profile": data.profile(s, cipher=self.cipher, member_id=m),
            "contact": data.contact(s, cipher=self.cipher, member_id=m),
            "erasure": data.erasure_state(s, member_id=m)})

    async def change(self, request: Request,
                     act: Callable[[Session, int, dict[str, str]], object],
                     then: str = f"{MEMBER_WEB_PATH}/settings") -> Response:
        """A settings form: CSRF checked, the change made, on to ``then``."""
        who = await self.signed_in(request)
        if who is None:
            return self.to_sign_in()
        form = await self.form_checked(request, who[1])
        if form is None:
            return self.csrf_refused(request)
        try:
            await self.db(lambda s: act(s, who[0], form))
        except (ConflictError, InvalidInputError, NotFoundError) as err:
            return self.render(request, "message.html", status_code=err.status_code,
                               title=_l("Not changed"),
                               message=CHANGE_REFUSALS.get(err.message, err.message),
                               csrf=csrf_token(self.secret, who[1]))
        return RedirectResponse(then, status_code=303)

    async def consents(self, request: Request) -> Response:
        """Marketing on or off; face consent withdrawn."""
        def act(s: Session, member_id: int, form: dict[str, str]) -> object:
            fields = {"marketing": form.get("marketing") == "on"}
            if form.get("face") == "withdraw":
                fields["face"] = False  # left out otherwise: face consent stays as it is
            change = data.ConsentChange.model_validate(fields)
            return data.change_consents(s, cipher=self.cipher, member_id=member_id,
                                        change=change)
        return await self.change(request, act)

    async def contact(self, request: Request) -> Response:
        """E-mail address (blank keeps it, the box removes it) and language for messages."""
        def act(s: Session, member_id: int, form: dict[str, str]) -> object:
            fields: dict[str, str | None] = {"language": form.get("language", "")}
            if form.get("remove_email") == "on":
                fields["email"] = None
            elif form.get("email", "").strip():
                fields["email"] = form["email"].strip()
            try:
                change = data.ContactChange.model_validate(fields)
            except ValidationError as err:  # an over-long address, or no known language
                bad = {str(e["loc"][0]) for e in err.errors() if e["loc"]}
                raise (InvalidInputError("not an e-mail address", field="email")
                       if "email" in bad else
                       InvalidInputError("language must be zh or en", field="language")) from err
            return data.change_contact(s, cipher=self.cipher, member_id=member_id,
                                       change=change, now=utcnow())
        # The page follows the language the member chose (?lang= also keeps it in the
        # language cookie for the next visits).
        chosen = str((await request.form()).get("language", ""))
        return await self.change(request, act, then=f"{MEMBER_WEB_PATH}/settings?lang="
                                                    f"{'zh_Hans' if chosen == 'zh' else 'en'}")

    async def erasure(self, request: Request) -> Response:
        """Record an erasure request for the staff."""
        return await self.change(request, lambda s, m, _form: data.request_erasure(
            s, member_id=m, now=utcnow()))

    async def export(self, request: Request) -> Response:
        """Everything held about the member, as a JSON download."""
        who = await self.signed_in(request)
        if who is None:
            return self.to_sign_in()
        body = await self.db(lambda s: data.export(s, cipher=self.cipher, member_id=who[0]))
        return JSONResponse(body, headers={
            "Content-Disposition": 'attachment; filename="my-canteen-data.json"',
            "Cache-Control": "no-store"})


def member_web_app(settings: Settings, engine: Engine) -> FastAPI:
    """The /member app: pages only, no OpenAPI document."""
    web = MemberWeb(settings, engine)

    async def root(request: Request) -> Response:
        return await web.home(request)

    routes: list[BaseRoute] = [
        Route("/", root, methods=["GET"]),
        Route("/sign-in", web.sign_in_page, methods=["GET"]),
        Route("/sign-in/code", web.ask_code, methods=["POST"]),
        Route("/sign-in", web.check_code, methods=["POST"]),
        Route("/sign-out", web.sign_out, methods=["POST"]),
        Route("/ledger", web.ledger, methods=["GET"]),
        Route("/orders", web.orders, methods=["GET"]),
        Route("/coupons", web.coupons, methods=["GET"]),
        *booking_routes(web),
        Route("/surveys", web.surveys, methods=["GET"]),
        Route("/surveys/{survey_id:int}", web.answer_survey, methods=["POST"]),
        Route("/settings", web.settings_page, methods=["GET"]),
        Route("/settings/consents", web.consents, methods=["POST"]),
        Route("/settings/contact", web.contact, methods=["POST"]),
        Route("/settings/erasure", web.erasure, methods=["POST"]),
        Route("/export", web.export, methods=["GET"]),
    ]
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, routes=routes)
    app.add_middleware(i18n.LanguageMiddleware, cookie_path="/")
    return app


def mount_member_web(app: FastAPI, settings: Settings, engine: Engine) -> None:
    """Mount the member web page at /member."""
    app.mount(MEMBER_WEB_PATH, member_web_app(settings, engine))
