"""The member desk of the admin shell: find a member, see their money, top up, issue coupons."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from sqladmin import Admin, BaseView, expose
from sqladmin._menu import CategoryMenu
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.accounts.errors import InsufficientBalanceError
from hub.accounts.stored_value import MAX_TOPUP_CENTS, adjust, top_up
from hub.admin.access import DESK_IDENTITY, ShellAuthorization
from hub.admin.member_desk_data import (
    SEARCH_FIELDS,
    find_members,
    load_profile,
    topup_receipt,
)
from hub.coupons.issue import issue_to_members
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError, ServiceError
from hub.i18n import get_language, gettext
from hub.i18n import lazy_gettext as _l
from hub.identity.cards import block_card
from hub.models.accounts import AccountKind, TopUpMethod
from hub.settings import Settings
from rules.errors import MoneyError
from rules.money import format_cents, parse_yuan

logger = logging.getLogger(__name__)

T = TypeVar("T")
ADJUSTABLE = (AccountKind.PAID, AccountKind.BONUS, AccountKind.POINTS)


class Refused(Exception):
    """A desk action refused with a message already in the page language; nothing written."""


def _field(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


def _money_message(err: MoneyError) -> str:
    return err.label.en if get_language() == "en" else err.label.zh


def parse_amount(text: str, *, signed: bool = False) -> int:
    """Yuan typed at the desk to fen, with the one parser of the project; Refused if not."""
    negative = signed and text.startswith("-")
    try:
        cents = parse_yuan(text[1:] if negative else text)
    except MoneyError as err:
        raise Refused(
            gettext("Enter an amount in yuan, e.g. 12.50") + f" ({_money_message(err)})"
        ) from err
    return -cents if negative else cents


class MemberDeskView(BaseView):
    """Search, profile, top-up, coupons, adjustments and card blocks for one member at a time."""

    name = _l("Member desk")
    icon = "fa-solid fa-id-card"

    # SQLAdmin names a BaseView after its first exposed page: keep the search first.
    @expose("/member-desk", identity=DESK_IDENTITY)
    async def search(self, request: Request) -> Response:
        """The search form and its results."""
        field = request.query_params.get("by", "phone")
        field = field if field in SEARCH_FIELDS else "phone"
        text = request.query_params.get("q", "").strip()
        results = None
        error = None
        if text:
            try:
                results = await self._db(
                    request, lambda s, c: find_members(s, cipher=c, field=field, text=text)
                )
            except InvalidInputError as err:
                logger.info("member desk search refused: %s", err)
                error = gettext("Not a valid %(what)s: %(text)s") % {
                    "what": _search_label(field), "text": text
                }
        return await self.templates.TemplateResponse(
            request, "member_desk/search.html",
            {"by": field, "q": text, "results": results, "error": error,
             "fields": [(f, _search_label(f)) for f in SEARCH_FIELDS]},
        )

    @expose("/member-desk/{member_id:int}", identity="member-desk-profile")
    async def profile(self, request: Request) -> Response:
        """One member: profile, balances, ledger, cards, coupons and the desk's forms."""
        return await self._profile(request)

    @expose("/member-desk/{member_id:int}/top-up", methods=["POST"], identity="member-desk-top-up")
    async def post_top_up(self, request: Request) -> Response:
        """Top up stored value; the receipt shows on the profile page after."""
        member_id = request.path_params["member_id"]
        form = await request.form()
        # Passed as posted: the service refuses a method not in its list (nothing written).
        method = _field(form, "method")
        # One-time key rendered with the form: a double click posts it twice, tops up once.
        key = _field(form, "request_key")[:64] or None
        try:
            amount = parse_amount(_field(form, "amount"))
            receipt = await self._write(request, lambda s: top_up(
                s, member_id=member_id, amount_cents=amount,
                method=method,
                actor=_actor(request), at=utcnow(), request_key=key,
            ))
        except Refused as err:
            return await self._profile(request, error=str(err), form="top-up")
        url = request.url_for("admin:view-member-desk-profile", member_id=member_id)
        return RedirectResponse(f"{url}?receipt={receipt.receipt_no}", status_code=303)

    @expose("/member-desk/{member_id:int}/coupons", methods=["POST"],
            identity="member-desk-coupon")
    async def issue_coupon(self, request: Request) -> Response:
        """Issue one coupon of the chosen template to this member."""
        member_id = request.path_params["member_id"]
        form = await request.form()
        try:
            template_id = int(_field(form, "template_id"))
        except ValueError:
            return await self._profile(
                request, error=gettext("Choose a coupon template."), form="coupon"
            )
        try:
            await self._write(request, lambda s: issue_to_members(
                session=s, template_id=template_id, member_ids=[member_id], now=utcnow(),
                actor=_actor(request),
            ))
        except Refused as err:
            return await self._profile(request, error=str(err), form="coupon")
        return self._done(request, member_id, "coupon")

    @expose("/member-desk/{member_id:int}/adjust", methods=["POST"],
            identity="member-desk-adjust")
    async def post_adjust(self, request: Request) -> Response:
        """Correct a balance with a mandatory reason (administrators and managers only)."""
        if not self.has_permission(request, "adjust"):
            raise HTTPException(status_code=403)
        member_id = request.path_params["member_id"]
        form = await request.form()
        try:
            kind = AccountKind(_field(form, "account"))
            if kind not in ADJUSTABLE:
                raise ValueError(kind)
        except ValueError:
            return await self._profile(request, error=gettext("Choose a balance."), form="adjust")
        reason = _field(form, "reason")
        try:
            if not reason:
                raise Refused(gettext("An adjustment needs a reason."))
            text = _field(form, "amount")
            if kind is AccountKind.POINTS:
                try:
                    amount = int(text)
                except ValueError as err:
                    raise Refused(gettext("Enter whole points, e.g. 100 or -50")) from err
            else:
                amount = parse_amount(text, signed=True)
            if amount == 0:
                raise Refused(gettext("An adjustment cannot be zero."))
            await self._write(request, lambda s: adjust(
                s, member_id=member_id, account_kind=kind, amount=amount, reason=reason,
                actor=_actor(request), at=utcnow(),
            ))
        except Refused as err:
            return await self._profile(request, error=str(err), form="adjust")
        return self._done(request, member_id, "adjust")

    @expose("/member-desk/{member_id:int}/cards/{card_id:int}/block", methods=["POST"],
            identity="member-desk-block-card")
    async def block(self, request: Request) -> Response:
        """Block a lost card for good; kiosks drop it with the next member-cache delta."""
        member_id = request.path_params["member_id"]
        card_id = request.path_params["card_id"]
        form = await request.form()
        reason = _field(form, "reason") or "lost"
        try:
            await self._write(request, lambda s: block_card(
                session=s, member_id=member_id, card_id=card_id, reason=reason[:200],
                actor=_actor(request),
            ))
        except Refused as err:
            return await self._profile(request, error=str(err), form="cards")
        return self._done(request, member_id, "card")

    async def _profile(
        self, request: Request, *, error: str | None = None, form: str | None = None
    ) -> Response:
        member_id = request.path_params["member_id"]
        try:
            page = int(request.query_params.get("page", "1"))
        except ValueError:
            page = 1
        op = request.query_params.get("receipt")
        try:
            profile = await self._db(
                request, lambda s, c: load_profile(s, cipher=c, member_id=member_id, page=page)
            )
        except NotFoundError as err:
            raise HTTPException(status_code=404, detail=gettext("No such member.")) from err
        receipt = None
        if op:
            receipt = await self._db(
                request, lambda s, _c: topup_receipt(s, member_id=member_id, operation_id=op)
            )
        return await self.templates.TemplateResponse(
            request, "member_desk/profile.html",
            {
                "p": profile, "receipt": receipt, "error": error, "error_form": form,
                "done": request.query_params.get("done"),
                "may_adjust": self.has_permission(request, "adjust"),
                "methods": [(m.value, _METHOD_LABELS[m]) for m in TopUpMethod],
                "adjustable": [(k.value, _ACCOUNT_LABELS[k]) for k in ADJUSTABLE],
                "max_topup": format_cents(MAX_TOPUP_CENTS),
                "topup_key": new_request_key(),
                "labels": {"entry": _ENTRY_LABELS, "account": _ACCOUNT_LABELS,
                           "coupon": _COUPON_STATUS, "card": _CARD_STATUS},
                "local": lambda at: at.astimezone(profile.zone).strftime("%Y-%m-%d %H:%M"),
                "money": format_cents,
            },
            status_code=400 if error else 200,
        )

    def _done(self, request: Request, member_id: int, what: str) -> Response:
        url = request.url_for("admin:view-member-desk-profile", member_id=member_id)
        return RedirectResponse(f"{url}?done={what}", status_code=303)

    async def _db(self, request: Request, work: Callable[[Session, FieldCipher], T]) -> T:
        engine: Engine = request.app.state.desk_engine
        cipher: FieldCipher = request.app.state.desk_cipher

        def run() -> T:
            with Session(engine) as session:
                return work(session, cipher)

        return await anyio.to_thread.run_sync(run)

    async def _write(self, request: Request, work: Callable[[Session], T]) -> T:
        """Run a service that commits; its refusals come back as Refused in the page language."""
        try:
            return await self._db(request, lambda s, _c: work(s))
        except ServiceError as err:
            logger.info("member desk refused: %s", err)
            raise Refused(_refusal(err)) from err


def new_request_key() -> str:
    """A one-time key for one rendering of the top-up form."""
    return secrets.token_urlsafe(24)


def _actor(request: Request) -> str:
    return str(request.state.admin_user.username)


def _refusal(err: ServiceError) -> str:
    """The services' English refusals as the desk shows them, in the page language."""
    if isinstance(err, InsufficientBalanceError):
        return gettext("Not enough balance: %(available)s available.") % {
            "available": str(err.available) if err.account is AccountKind.POINTS
            else format_cents(err.available)
        }
    field = getattr(err, "field", None)
    if isinstance(err, InvalidInputError) and field == "amount_cents":
        return gettext("A top-up must be between %(low)s and %(high)s.") % {
            "low": format_cents(1), "high": format_cents(MAX_TOPUP_CENTS)
        }
    if isinstance(err, InvalidInputError) and field == "method":
        return gettext("Unknown payment method. Choose one of: %(methods)s.") % {
            "methods": ", ".join(str(_METHOD_LABELS[m]) for m in TopUpMethod)
        }
    if isinstance(err, InvalidInputError) and field == "amount":
        return gettext("This adjustment is too large.")
    if isinstance(err, ConflictError):
        return gettext("Refused: %(why)s") % {"why": str(err)}
    if isinstance(err, NotFoundError):
        return gettext("Not found: %(what)s") % {"what": str(err)}
    return gettext("Refused: %(why)s") % {"why": str(err)}


def _search_label(field: str) -> str:
    return str(_SEARCH_LABELS[field])


_SEARCH_LABELS = {
    "name": _l("Name or member number"),
    "phone": _l("Phone"),
    "card": _l("Card number"),
    "employer": _l("Employer"),
}
_METHOD_LABELS = {
    TopUpMethod.CASH: _l("Cash"), TopUpMethod.WECHAT: _l("WeChat Pay"),
    TopUpMethod.ALIPAY: _l("Alipay"), TopUpMethod.CARD: _l("Bank card"),
    TopUpMethod.TRANSFER: _l("Bank transfer"),
}
_ACCOUNT_LABELS = {
    AccountKind.PAID: _l("Stored value"), AccountKind.BONUS: _l("Bonus balance"),
    AccountKind.SUBSIDY: _l("Meal subsidy"), AccountKind.POINTS: _l("Points"),
}
_ENTRY_LABELS = {
    "topup": _l("Top-up"), "topup_bonus": _l("Top-up bonus"), "spend": _l("Spend"),
    "refund": _l("Refund"), "adjustment": _l("Adjustment"), "grant": _l("Grant"),
    "expiry": _l("Expiry"), "earn": _l("Points earned"), "redeem": _l("Points redeemed"),
}
_COUPON_STATUS = {"issued": _l("Not used yet"), "redeemed": _l("Redeemed"), "void": _l("Void")}
_CARD_STATUS = {"active": _l("Active"), "blocked": _l("Blocked")}


class _CategoryShownIfUsable(CategoryMenu):
    """A menu category shown only when the user may open one of its pages."""

    def is_accessible(self, request: Request) -> bool:
        """SQLAdmin 0.32 shows a category even when every child is hidden (a cashier's menu)."""
        return any(c.is_visible(request) and c.is_accessible(request) for c in self.children)


def register_member_desk(admin: Admin, settings: Settings) -> None:
    """Add the member desk to the shell and limit cashiers to it (mount_admin calls this)."""
    admin.admin.state.desk_engine = admin.engine
    admin.admin.state.desk_cipher = FieldCipher.from_settings(settings)
    admin.authorization_backend = ShellAuthorization()
    admin.add_base_view(MemberDeskView)
    for item in admin._menu.items:
        if type(item) is CategoryMenu:
            item.__class__ = _CategoryShownIfUsable
    if MemberDeskView.identity != DESK_IDENTITY:
        raise RuntimeError("the member desk's search page must stay its first exposed page")
