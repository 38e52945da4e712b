"""Claim codes and decommissioning in the admin shell (the fleet pages' provisioning end).

An administrator makes a one-time code for a site and a device kind; it is shown once, as
text and as a QR (server-drawn SVG, the same ``qrcode`` image the API answers with), then
only its last characters. Open codes are listed and can be revoked. A device's page has a
decommission button that revokes its broker login at once (through the broker's plugin
when the hub manages it). Managers read; only admins act (as the API).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import anyio
from markupsafe import Markup
from sqladmin import BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.admin.access import user_role
from hub.api.routes.fleet_claim import hub_url, plugin, qr_svg
from hub.db_types import utcnow
from hub.errors import ServiceError
from hub.fleet.claim import (
    DEFAULT_TTL,
    MAX_TTL,
    MIN_TTL,
    IssuedClaimCode,
    cancel_claim_code,
    code_state,
    create_claim_code,
    decommission_device,
    list_claim_codes,
)
from hub.i18n import gettext
from hub.i18n import lazy_gettext as _l
from hub.models.bounds import MAX_ID
from hub.models.devices import DeviceKind
from hub.models.fleet_access import ClaimCode
from hub.models.sites import Site
from hub.models.users import Role
from protocol.claim import claim_qr_text

logger = logging.getLogger(__name__)
T = TypeVar("T")

KIND_LABELS = {"kiosk": _l("Kiosk"), "kds": _l("Kitchen display"), "pickup": _l("Pickup board")}
CODE_STATES = {"open": _l("Open"), "claimed": _l("Claimed"), "cancelled": _l("Revoked"),
               "expired": _l("Expired")}
TTL_CHOICES = {60: _l("1 hour"), 24 * 60: _l("1 day"), 3 * 24 * 60: _l("3 days"),
               7 * 24 * 60: _l("7 days")}  # minutes


def _int(text: object, low: int, high: int) -> int | None:
    try:
        value = int(str(text).strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


class FleetClaimView(BaseView):
    """Claim codes (make, list, revoke) and decommissioning a device."""

    category = _l("Fleet")
    name = _l("Claim codes")
    icon = "fa-solid fa-qrcode"

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.fleet_engine

        def run() -> T:
            with Session(engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    @staticmethod
    def _admin(request: Request) -> bool:
        return user_role(request) is Role.ADMIN

    @expose("/fleet/claim-codes", identity="fleet-claims")
    async def claims(self, request: Request) -> Response:
        """Open codes and recent used ones; the form to make one."""
        return await self._page(request)

    async def _page(self, request: Request, *, issued: dict[str, Any] | None = None,
                    error: str | None = None, form: dict[str, str] | None = None,
                    status_code: int = 200) -> Response:
        def read(s: Session) -> tuple[list[tuple[ClaimCode, str, str]], list[tuple[int, str]]]:
            now = utcnow()
            codes = [(row, site, code_state(row, now)) for row, site in list_claim_codes(
                s, limit=100)]
            sites = [(i, c) for i, c in s.exec(
                select(Site.id, Site.code).where(col(Site.active)).order_by(col(Site.code)))
                if i is not None]
            return codes, sites

        codes, sites = await self._db(request, read)
        open_codes = [c for c in codes if c[2] == "open"]
        others = [c for c in codes if c[2] != "open"][:20]
        return await self.templates.TemplateResponse(
            request, "fleet/claims.html",
            {"open_codes": open_codes, "other_codes": others, "sites": sites,
             "kinds": [k.value for k in DeviceKind], "kind_labels": KIND_LABELS,
             "code_states": CODE_STATES, "ttl_choices": TTL_CHOICES,
             "default_ttl": int(DEFAULT_TTL.total_seconds() // 60), "issued": issued,
             "error": error, "form": form or {}, "can_act": self._admin(request)},
            status_code=status_code)

    @expose("/fleet/claim-codes/new", methods=["POST"], identity="fleet-claim-new")
    async def new_code(self, request: Request) -> Response:
        """Make a code from the form and show it once, as text and QR (admins only)."""
        if not self._admin(request):
            return Response(status_code=403)
        form = await request.form()
        values = {k: str(form.get(k) or "").strip()
                  for k in ("site_id", "kind", "device_code", "device_name", "ttl_minutes")}
        site_id = _int(values["site_id"], 1, MAX_ID)
        ttl = _int(values["ttl_minutes"] or str(int(DEFAULT_TTL.total_seconds() // 60)),
                   int(MIN_TTL.total_seconds() // 60), int(MAX_TTL.total_seconds() // 60))
        if site_id is None:
            return await self._page(request, error=gettext("Choose a site."), form=values,
                                    status_code=400)
        if ttl is None:
            return await self._page(request, form=values, status_code=400, error=gettext(
                "A code lives from 5 minutes to 7 days."))
        if len(values["device_name"]) > 120:
            return await self._page(request, form=values, status_code=400, error=gettext(
                "The device name is at most 120 characters."))
        user = str(request.state.admin_user.username)

        def write(s: Session) -> IssuedClaimCode:
            return create_claim_code(s, site_id=site_id, kind=values["kind"],
                                     device_code=values["device_code"],
                                     device_name=values["device_name"], created_by=user,
                                     ttl=timedelta(minutes=ttl))

        try:
            issued = await self._db(request, write)
        except ServiceError as err:
            return await self._page(request, form=values, status_code=400,
                                    error=gettext("Refused: %(why)s") % {"why": str(err)})
        text = claim_qr_text(hub_url(request), issued.code)
        shown = {"code": issued.code, "qr_text": text, "qr_svg": Markup(qr_svg(text)),
                 "site": issued.site, "device_code": issued.device_code,
                 "kind": issued.kind, "expires_at": issued.expires_at}
        response = await self._page(request, issued=shown)
        response.headers["Cache-Control"] = "no-store"  # the code is shown this once
        return response

    @expose("/fleet/claim-codes/{claim_id:int}/revoke", methods=["POST"],
            identity="fleet-claim-revoke")
    async def revoke(self, request: Request) -> Response:
        """Revoke an unused code (admins only)."""
        if not self._admin(request):
            return Response(status_code=403)
        claim_id = int(request.path_params["claim_id"])
        if not 1 <= claim_id <= MAX_ID:
            return Response(status_code=404)
        try:
            await self._db(request, lambda s: cancel_claim_code(s, claim_id=claim_id))
        except ServiceError as err:
            return await self._page(request, status_code=400,
                                    error=gettext("Refused: %(why)s") % {"why": str(err)})
        return RedirectResponse(request.url_for("admin:view-fleet-claims"), status_code=303)

    @expose("/fleet/devices/{device_id:int}/decommission", methods=["POST"],
            identity="fleet-device-decommission")
    async def decommission(self, request: Request) -> Response:
        """Disable the device and revoke its broker login at once (admins only)."""
        if not self._admin(request):
            return Response(status_code=403)
        device_id = int(request.path_params["device_id"])
        if not 1 <= device_id <= MAX_ID:
            return Response(status_code=404)
        engine: Engine = request.app.state.fleet_engine
        settings = request.app.state.fleet_settings

        def act() -> bool:
            with plugin(settings) as admin, Session(engine) as s:
                decommission_device(s, device_id=device_id, dynsec=admin)
                return admin is not None

        url = request.url_for("admin:view-fleet-device", device_id=device_id)
        try:
            cut_off = await anyio.to_thread.run_sync(act)
        except ServiceError as err:
            logger.info("decommission of device %s refused: %s", device_id, err)
            if err.status_code == 404:
                return Response(status_code=404)
            return RedirectResponse(f"{url}?decommission_error=1", status_code=303)
        return RedirectResponse(f"{url}?decommissioned={'now' if cut_off else 'files'}",
                                status_code=303)
