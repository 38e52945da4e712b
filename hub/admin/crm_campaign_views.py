"""Admin pages of campaigns: the list with the create form and the automations' switches,
one campaign with its launch button and its results (uplift with the 95 % interval).

Every change goes through hub.crm.campaigns / hub.crm.automations, the same functions as
/api/v1/crm/campaigns; a malformed campaign is refused with the field and the reason and
nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.admin.crm_cases_views import CRM
from hub.crm import automations as auto
from hub.crm import campaign_results as results_svc
from hub.crm import campaigns as svc
from hub.errors import ServiceError
from hub.i18n import get_language, gettext
from hub.i18n import lazy_gettext as _l
from hub.models.coupons import CouponTemplate
from hub.models.crm import Segment
from rules.money import format_cents

T = TypeVar("T")
STATUS_LABELS = {"draft": _l("Draft"), "launched": _l("Launched")}
CHANNEL_LABELS = {"kiosk": _l("Kiosk greeting"), "receipt": _l("Receipt line")}
FIELDS = ("code", "name", "segment_id", "coupon_template_id", "message_zh", "message_en",
          "holdout_percent", "starts_at", "ends_at", "frequency_cap")


def _form_data(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in FIELDS}
    if not data["coupon_template_id"]:
        data["coupon_template_id"] = None
    for k in ("starts_at", "ends_at"):  # the page's datetime-local inputs are UTC
        if data[k] and len(data[k]) == 16:
            data[k] += ":00Z"
    data["channels"] = [str(v) for v in form.getlist("channels")]
    data["allow_overlap"] = form.get("allow_overlap") == "on"
    return data


class CampaignsView(BaseView):
    """Campaigns: list, create, launch, results; the built-in automations."""

    category = CRM
    name = _l("Campaigns")
    icon = "fa-solid fa-bullhorn"

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.crm_campaigns_engine

        def run() -> T:
            with Session(engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    def _common(self) -> dict[str, Any]:
        en = get_language() == "en"
        return {"status_labels": STATUS_LABELS, "channel_labels": CHANNEL_LABELS,
                "yuan": format_cents, "name_in": (lambda zh, e: e if en else zh),
                "builtins": auto.BUILTINS}

    @expose("/crm/campaigns", identity="crm-campaigns")
    async def list_page(self, request: Request) -> Response:
        """Campaigns newest first, the create form and the automations."""
        return await self._list(request)

    async def _list(self, request: Request, *, error: str | None = None,
                    form: dict[str, Any] | None = None) -> Response:
        def read(s: Session) -> dict[str, Any]:
            rows, total = svc.list_campaigns(s, limit=100)
            return {"rows": rows, "total": total,
                    "segments": [(g.id, g.name) for g in s.exec(select(Segment)
                                                                .order_by(col(Segment.name)))],
                    "templates": [(t.id, t.name_zh, t.name_en) for t in s.exec(
                        select(CouponTemplate).where(col(CouponTemplate.active).is_(True)))],
                    "automations": auto.automations(s)}

        data = await self._db(request, read)
        return await self.templates.TemplateResponse(
            request, "crm_campaigns/list.html",
            {**self._common(), **data, "error": error, "form": form or {}},
            status_code=400 if error else 200)

    @expose("/crm/campaigns/new", methods=["POST"], identity="crm-campaign-new")
    async def create(self, request: Request) -> Response:
        """Save a draft from the form; refused with the field and reason, nothing written."""
        data = _form_data(await request.form())
        actor = str(request.state.admin_user.username)
        try:
            campaign = await self._db(request, lambda s: svc.create_campaign(
                s, data=svc.parse_campaign(data), actor=actor))
        except ServiceError as err:
            return await self._list(request, error=gettext("Refused: %(why)s") % {
                "why": str(err)}, form=data)
        return RedirectResponse(request.url_for("admin:view-crm-campaign",
                                                campaign_id=campaign.id), status_code=303)

    @expose("/crm/campaigns/automations/{code}", methods=["POST"],
            identity="crm-automation")
    async def automation(self, request: Request) -> Response:
        """Switch an automation on or off, with its offer."""
        code = str(request.path_params["code"])
        if code not in auto.BUILTINS:
            return Response(status_code=404)
        form = await request.form()
        template = str(form.get("coupon_template_id") or "")
        actor = str(request.state.admin_user.username)
        try:
            await self._db(request, lambda s: auto.set_automation(
                s, code=code, enabled=form.get("enabled") == "on",
                coupon_template_id=int(template) if template.isdigit() else None,
                actor=actor))
        except ServiceError as err:
            return await self._list(request, error=gettext("Refused: %(why)s") % {
                "why": str(err)})
        return RedirectResponse(request.url_for("admin:view-crm-campaigns"), status_code=303)

    @expose("/crm/campaigns/{campaign_id:int}", identity="crm-campaign")
    async def campaign(self, request: Request) -> Response:
        """One campaign: settings, launch, and its results with the 95 % interval."""
        return await self._campaign(request)

    async def _campaign(self, request: Request, *, error: str | None = None) -> Response:
        cid = int(request.path_params["campaign_id"])

        def read(s: Session) -> dict[str, Any] | None:
            try:
                c = svc.get_campaign(s, cid)
            except ServiceError:
                return None
            template = s.get(CouponTemplate, c.coupon_template_id) \
                if c.coupon_template_id else None
            segment = s.get(Segment, c.segment_id) if c.segment_id else None
            results = results_svc.campaign_results(s, campaign_id=cid) \
                if c.status == "launched" else None
            return {"c": c, "template": template, "segment": segment, "results": results}

        data = await self._db(request, read)
        if data is None:
            return Response(status_code=404)
        return await self.templates.TemplateResponse(
            request, "crm_campaigns/campaign.html",
            {**self._common(), **data, "error": error,
             "launched": request.query_params.get("launched", "")[:200]},
            status_code=400 if error else 200)

    @expose("/crm/campaigns/{campaign_id:int}/launch", methods=["POST"],
            identity="crm-campaign-launch")
    async def launch(self, request: Request) -> Response:
        """Launch: target the segment now, hold out the share, send the rest the offer."""
        cid = int(request.path_params["campaign_id"])
        actor = str(request.state.admin_user.username)
        try:
            done = await self._db(request, lambda s: svc.launch_campaign(
                s, campaign_id=cid, actor=actor))
        except ServiceError as err:
            return await self._campaign(request, error=gettext("Refused: %(why)s") % {
                "why": str(err)})
        summary = f"{done.treatment}/{done.holdout}/{done.no_consent}/{done.capped}/" \
                  f"{done.overlapping}"
        url = request.url_for("admin:view-crm-campaign", campaign_id=cid)
        return RedirectResponse(f"{url}?launched={summary}", status_code=303)


def register_crm_campaign_views(admin: Admin) -> None:
    """Add the campaign pages to the shell (mount_admin calls this)."""
    admin.admin.state.crm_campaigns_engine = admin.engine
    admin.add_view(CampaignsView)
