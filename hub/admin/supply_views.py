"""Admin pages of supply (issue 17): stock and alerts, receipts, counts, waste, recipes,
portions, purchase suggestions and orders, traceability.

Pages parse the form or query string and render; every write goes through hub.supply (the
same functions as /api/v1/supply), so a refusal here is the API's refusal, shown with the
field it concerns, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from pydantic import BaseModel, ValidationError
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.admin import supply_data as data
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher
from hub.errors import ServiceError
from hub.i18n import get_language, gettext
from hub.i18n import lazy_gettext as _l
from hub.models.sites import Site
from hub.models.supply import (
    CountCreate,
    PortionsIn,
    PurchaseOrderCreate,
    ReceiptCreate,
    WasteCreate,
)
from hub.settings import Settings
from hub.supply import inventory, portions, purchase_docs, purchasing
from protocol import Envelope, encode

T = TypeVar("T")
SUPPLY = _l("Supply")
REASONS = {"expired": _l("Expired"), "spoiled": _l("Spoiled"),
           "overproduction": _l("Overproduction"), "plate": _l("Plate waste"),
           "damaged": _l("Damaged"), "other": _l("Other")}
ALERTS = {"low_stock": _l("Low stock"), "expiring": _l("Expiring soon"),
          "expired": _l("Expired")}
FIELDS = {"site_id": _l("Site"), "supplier_id": _l("Supplier"),
          "ingredient_id": _l("Ingredient"), "qty": _l("Quantity"), "lot_code": _l("Lot"),
          "expires_on": _l("Expires on"), "produced_on": _l("Lot date"),
          "counted_qty": _l("Counted"), "reason": _l("Reason"), "dish_id": _l("Dish"),
          "prepared": _l("Portions"), "meal_period": _l("Meal period"),
          "service_date": _l("Day"), "start": _l("From"), "days": _l("Days")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _name(zh: str, en: str) -> str:
    return en if get_language() == "en" else zh


def _field_label(field: str | None) -> str:
    last = (field or "").split(".")[-1]
    label = FIELDS.get(last)
    return str(label) if label is not None else last


def _refusal(err: Exception) -> str:
    """A refusal as the page shows it: the field's label and the reason."""
    if isinstance(err, ValidationError):
        first = err.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"])
        return gettext("Refused: %(why)s") % {"why": f"{_field_label(field)}: {first['msg']}"}
    assert isinstance(err, ServiceError)
    zh, both, en = err.message.partition(" / ")  # supply's reasons are "中文 / English"
    message = (en if get_language() == "en" else zh) if both else err.message
    why = f"{_field_label(err.field)}: {message}" if err.field else message
    return gettext("Refused: %(why)s") % {"why": why}


def _common(page: str, site: Site, sites: list[Site]) -> dict[str, Any]:
    return {"page": page, "site": site, "sites": sites, "name": _name,
            "reasons": REASONS, "alert_labels": ALERTS, "today": inventory.site_today(site)}


class SupplyView(BaseView):
    """Every supply page; one menu entry, a tab bar between the pages."""

    name = _l("Stock and purchasing")
    icon = "fa-solid fa-boxes-stacked"
    category = SUPPLY

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.supply_engine

        def run() -> T:
            with Session(engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    def _site(self, s: Session, request: Request) -> tuple[Site, list[Site]]:
        sites = list(s.exec(select(Site).order_by(col(Site.code))).all())
        code = request.query_params.get("site", "")[:32]
        site = next((x for x in sites if x.code == code), sites[0] if sites else None)
        if site is None:
            raise ServiceError(gettext("Add a site first."))
        return site, sites

    async def _render(self, request: Request, page: str, read: Callable[[Session, Site], dict[
            str, Any]], *, error: str | None = None, notice: str | None = None) -> Response:
        def work(s: Session) -> dict[str, Any]:
            site, sites = self._site(s, request)
            return {**_common(page, site, sites), **read(s, site)}

        try:
            ctx = await self._db(request, work)
        except ServiceError as err:
            return Response(str(err), status_code=400)
        return await self.templates.TemplateResponse(
            request, f"supply/{page}.html", {**ctx, "error": error, "notice": notice},
            status_code=400 if error else 200)

    async def _write(self, request: Request, page: str, shape: type[BaseModel],
                     build: Callable[[dict[str, Any], Site], dict[str, Any]],
                     act: Callable[[Session, Any, str], object],
                     read: Callable[[Session, Site], dict[str, Any]]) -> Response:
        form = {k: str(v).strip()[:200] for k, v in (await request.form()).items()}
        actor = str(request.state.admin_user.username)

        def work(s: Session) -> None:
            site, _sites = self._site(s, request)
            act(s, shape.model_validate(build(form, site)), actor)

        try:
            await self._db(request, work)
        except (ValidationError, ServiceError) as err:
            return await self._render(request, page, read, error=_refusal(err))
        url = request.url_for(f"admin:view-supply-{page}").include_query_params(
            **dict(request.query_params), done="1")
        return RedirectResponse(url, status_code=303)

    # ---- stock ------------------------------------------------------------------------

    @expose("/supply/stock", identity="supply-stock")
    async def stock(self, request: Request) -> Response:
        """On hand per ingredient, alerts, and the lots still holding stock."""
        return await self._render(request, "stock", data.stock_page)

    # ---- receipts ---------------------------------------------------------------------

    @expose("/supply/receipts", identity="supply-receipts", methods=["GET", "POST"])
    async def receipts(self, request: Request) -> Response:
        """Take a delivery in; the recent receipts and their lots."""
        if request.method == "POST":
            return await self._write(
                request, "receipts", ReceiptCreate,
                lambda f, site: {"site_id": site.id, "supplier_id": f.get("supplier_id"),
                                 "reference": f.get("reference", ""), "lines": [{
                                     "ingredient_id": f.get("ingredient_id"),
                                     "qty": f.get("qty"), "lot_code": f.get("lot_code"),
                                     "produced_on": f.get("produced_on") or None,
                                     "expires_on": f.get("expires_on")}]},
                lambda s, d, actor: inventory.receive(session=s, data=d, actor=actor),
                data.receipts_page)
        return await self._render(request, "receipts", data.receipts_page,
                                  notice=_done(request, gettext("Delivery taken in.")))

    # ---- counts -----------------------------------------------------------------------

    @expose("/supply/counts", identity="supply-counts", methods=["GET", "POST"])
    async def counts(self, request: Request) -> Response:
        """Record a count; the recent counts with what the ledger expected."""
        if request.method == "POST":
            return await self._write(
                request, "counts", CountCreate,
                lambda f, site: {"site_id": site.id, "lines": [{
                    "ingredient_id": f.get("ingredient_id"),
                    "counted_qty": f.get("counted_qty")}]},
                lambda s, d, actor: inventory.count(session=s, data=d, actor=actor),
                data.counts_page)
        return await self._render(request, "counts", data.counts_page,
                                  notice=_done(request, gettext("Count recorded.")))

    # ---- waste ------------------------------------------------------------------------

    @expose("/supply/waste", identity="supply-waste", methods=["GET", "POST"])
    async def waste(self, request: Request) -> Response:
        """Record waste with its reason; recent waste and totals by reason."""
        if request.method == "POST":
            return await self._write(
                request, "waste", WasteCreate,
                lambda f, site: {"site_id": site.id, "ingredient_id": f.get("ingredient_id"),
                                 "qty": f.get("qty"), "reason": f.get("reason"),
                                 "note": f.get("note", "")},
                lambda s, d, actor: inventory.record_waste(session=s, data=d, actor=actor),
                data.waste_page)
        return await self._render(request, "waste", data.waste_page,
                                  notice=_done(request, gettext("Waste recorded.")))

    # ---- recipes ----------------------------------------------------------------------

    @expose("/supply/recipes", identity="supply-recipes", methods=["GET", "POST"])
    async def recipes(self, request: Request) -> Response:
        """Each dish's recipe; set one ingredient's quantity of a dish."""
        if request.method == "POST":
            def merged(f: dict[str, Any], site: Site) -> dict[str, Any]:
                return {"dish_id": f.get("dish_id"), "ingredient_id": f.get("ingredient_id"),
                        "qty": f.get("qty")}

            def act(s: Session, line: Any, actor: str) -> None:
                data.set_recipe_line(s, line)

            return await self._write(request, "recipes", data.RecipeLineForm, merged, act,
                                     data.recipes_page)
        return await self._render(request, "recipes", data.recipes_page,
                                  notice=_done(request, gettext("Recipe saved.")))

    # ---- portions ---------------------------------------------------------------------

    @expose("/supply/portions", identity="supply-portions", methods=["GET", "POST"])
    async def portions(self, request: Request) -> Response:
        """Portions prepared per dish for a meal period; sent to the site's kiosks."""
        if request.method == "POST":
            publish = self._publisher(request)

            def build(f: dict[str, Any], site: Site) -> dict[str, Any]:
                return {"site_id": site.id, "dish_id": f.get("dish_id"),
                        "service_date": f.get("service_date"),
                        "meal_period": f.get("meal_period"), "prepared": f.get("prepared"),
                        "add": f.get("add") == "1"}

            return await self._write(
                request, "portions", PortionsIn, build,
                lambda s, d, actor: portions.set_portions(session=s, data=d, actor=actor,
                                                          publish=publish),
                data.portions_page(request))
        return await self._render(request, "portions", data.portions_page(request),
                                  notice=_done(request, gettext("Portions sent to the kiosks.")))

    def _publisher(self, request: Request) -> Callable[[Envelope], None]:
        target = BrokerTarget.from_settings(request.app.state.supply_settings)

        def publish(env: Envelope) -> None:
            with OneShotPublisher(target, timeout=3.0) as pub:
                pub.publish(env.topic(), encode(env), qos=1, retain=True)
        return publish

    # ---- purchasing -------------------------------------------------------------------

    @expose("/supply/purchasing", identity="supply-purchasing", methods=["GET", "POST"])
    async def purchasing(self, request: Request) -> Response:
        """Purchase suggestions by supplier; turn one into a purchase order; the orders."""
        if request.method == "POST":
            return await self._write(
                request, "purchasing", PurchaseOrderCreate,
                lambda f, site: {"site_id": site.id, "supplier_id": f.get("supplier_id"),
                                 "start": f.get("start"), "days": f.get("days")},
                lambda s, d, actor: purchasing.create_purchase_order(
                    session=s, data=d, actor=actor,
                    today=inventory.site_today(s.get(Site, d.site_id))),  # type: ignore[arg-type]
                data.purchasing_page(request))
        return await self._render(request, "purchasing", data.purchasing_page(request),
                                  notice=_done(request, gettext("Purchase order created.")))

    @expose("/supply/purchase-orders/{po_id}/{fmt}", identity="supply-po-doc")
    async def purchase_order_doc(self, request: Request) -> Response:
        """A purchase order as XLSX or PDF."""
        fmt = str(request.path_params["fmt"])
        try:
            po_id = int(str(request.path_params["po_id"]))
        except ValueError:
            return Response(status_code=404)
        if fmt not in ("xlsx", "pdf") or not 1 <= po_id < 2**31:
            return Response(status_code=404)
        try:
            view = await self._db(request, lambda s: purchasing.purchase_order_view(s, po_id))
            body = purchase_docs.to_xlsx(view) if fmt == "xlsx" else purchase_docs.to_pdf(view)
        except ServiceError as err:
            return Response(str(err), status_code=err.status_code)
        media = XLSX if fmt == "xlsx" else "application/pdf"
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="PO-{po_id:05d}.{fmt}"'})

    # ---- traceability -----------------------------------------------------------------

    @expose("/supply/trace", identity="supply-trace")
    async def trace(self, request: Request) -> Response:
        """Which lots went into which day's dishes (first in, first out)."""
        return await self._render(request, "trace", data.trace_page(request))


def _done(request: Request, message: str) -> str | None:
    return message if request.query_params.get("done") == "1" else None


def register_supply_views(admin: Admin, settings: Settings) -> None:
    """Add the supply pages to the shell (mount_admin calls this)."""
    admin.admin.state.supply_engine = admin.engine
    admin.admin.state.supply_settings = settings
    admin.add_view(SupplyView)

