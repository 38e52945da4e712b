"""/supply: ingredients, suppliers, recipes, receipts, counts, waste, stock and alerts,
traceability, portions, purchase suggestions and purchase orders (issue 17)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel

from hub.api.deps import (
    EDITORS,
    SOLD_OUT_SWITCHERS,
    STAFF,
    CurrentUser,
    SessionDep,
    SettingsDep,
    require_role,
)
from hub.api.params import IdPath
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher
from hub.errors import InvalidInputError, NotFoundError
from hub.models.bounds import MAX_ID
from hub.models.supply import (
    CountCreate,
    IngredientCreate,
    PortionsIn,
    PurchaseOrderCreate,
    ReceiptCreate,
    RecipeIn,
    SupplierCreate,
    WasteCreate,
)
from hub.supply import inventory, portions, purchase_docs, purchasing, recipes, stock
from protocol import Envelope, encode

router = APIRouter(prefix="/supply", tags=["supply"], dependencies=[require_role(*STAFF)])
edit = [require_role(*EDITORS)]
kitchen = [require_role(*SOLD_OUT_SWITCHERS)]  # kitchen staff take deliveries, count, waste

SiteQuery = Annotated[int, Query(ge=1, le=MAX_ID, description="site id")]
MAX_RANGE_DAYS = 92


def _rows(items: Any) -> list[dict[str, Any]]:
    return [asdict(i) for i in items]


class IdOut(BaseModel):
    """The id of what was written."""

    id: int


class PortionOut(BaseModel):
    """Portions of a dish for a meal period of a day."""

    dish_id: int
    code: str
    name_zh: str
    name_en: str
    prepared: int
    sold: int
    left: int


class PortionSetOut(BaseModel):
    """The plan as stored, and whether the site's kiosks were told (the broker took it)."""

    prepared: int
    published: bool


@router.get("/suppliers")
def list_suppliers(session: SessionDep) -> list[dict[str, Any]]:
    """Every supplier."""
    return [s.model_dump(mode="json") for s in inventory.list_suppliers(session=session)]


@router.post("/suppliers", response_model=IdOut, status_code=status.HTTP_201_CREATED,
             dependencies=edit)
def create_supplier(session: SessionDep, data: SupplierCreate) -> IdOut:
    """Add a supplier."""
    return IdOut(id=inventory.create_supplier(session=session, data=data).id or 0)


@router.get("/ingredients")
def list_ingredients(session: SessionDep) -> list[dict[str, Any]]:
    """Every ingredient with its unit, supplier, pack size and low-stock level."""
    return [i.model_dump(mode="json") for i in inventory.list_ingredients(session=session)]


@router.post("/ingredients", response_model=IdOut, status_code=status.HTTP_201_CREATED,
             dependencies=edit)
def create_ingredient(session: SessionDep, data: IngredientCreate) -> IdOut:
    """Add an ingredient."""
    return IdOut(id=inventory.create_ingredient(session=session, data=data).id or 0)


@router.get("/recipes/{dish_id}", response_model=RecipeIn)
def get_recipe(session: SessionDep, dish_id: IdPath) -> RecipeIn:
    """A dish's recipe (per portion, or per 100 g for a weighed dish)."""
    found = recipes.recipes_for(session.connection(), [dish_id]).get(dish_id)
    if found is None:
        raise NotFoundError(f"dish {dish_id} not found")
    return RecipeIn.model_validate({"lines": [{"ingredient_id": i, "qty": q}
                                              for i, q in found.lines]})


@router.put("/recipes/{dish_id}", response_model=RecipeIn, dependencies=edit)
def put_recipe(session: SessionDep, dish_id: IdPath, data: RecipeIn) -> RecipeIn:
    """Replace a dish's recipe (a negative or zero quantity is refused, nothing written)."""
    recipes.set_recipe(session=session, dish_id=dish_id, data=data)
    return get_recipe(session, dish_id)


@router.post("/receipts", response_model=IdOut, status_code=status.HTTP_201_CREATED,
             dependencies=kitchen)
def receive(session: SessionDep, user: CurrentUser, data: ReceiptCreate) -> IdOut:
    """Take a delivery in (an expired lot is refused, nothing written)."""
    receipt = inventory.receive(session=session, data=data, actor=user.username)
    return IdOut(id=receipt.id or 0)


@router.post("/counts", response_model=list[IdOut], status_code=status.HTTP_201_CREATED,
             dependencies=kitchen)
def count(session: SessionDep, user: CurrentUser, data: CountCreate) -> list[IdOut]:
    """Record a stock count (an unknown ingredient is refused, nothing written)."""
    rows = inventory.count(session=session, data=data, actor=user.username)
    return [IdOut(id=r.id or 0) for r in rows]


@router.post("/waste", response_model=IdOut, status_code=status.HTTP_201_CREATED,
             dependencies=kitchen)
def waste(session: SessionDep, user: CurrentUser, data: WasteCreate) -> IdOut:
    """Record food thrown away, with its reason."""
    return IdOut(id=inventory.record_waste(session=session, data=data, actor=user.username).id
                 or 0)


@router.get("/stock")
def stock_levels(session: SessionDep, site_id: SiteQuery) -> dict[str, Any]:
    """On hand per ingredient at the site, and its low-stock and expiry alerts."""
    site = inventory.site_of(session, site_id)
    conn = session.connection()
    have = stock.on_hand(conn, site_id)
    return {
        "on_hand": [{"ingredient_id": i.id, "code": i.code, "unit": i.unit,
                     "qty": round(have.get(i.id or 0, 0.0), 3)}
                    for i in inventory.list_ingredients(session=session) if i.id in have],
        "alerts": _rows(stock.alerts(conn, site_id, inventory.site_today(site))),
    }


def _range(start: date, end: date) -> None:
    if end < start:
        raise InvalidInputError("end is before start", field="end")
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInputError(f"at most {MAX_RANGE_DAYS} days at a time", field="end")


@router.get("/traceability")
def traceability(session: SessionDep, site_id: SiteQuery, start: date, end: date) -> list[
        dict[str, Any]]:
    """Which lots went into which day's dishes at the site (first in, first out)."""
    inventory.site_of(session, site_id)
    _range(start, end)
    return _rows(stock.traceability(session.connection(), site_id, start, end))


def _publisher(settings: SettingsDep) -> Any:
    target = BrokerTarget.from_settings(settings)

    def publish(env: Envelope) -> None:
        with OneShotPublisher(target, timeout=3.0) as pub:
            pub.publish(env.topic(), encode(env), qos=1, retain=True)
    return publish


@router.put("/portions", response_model=PortionSetOut, dependencies=kitchen)
def set_portions(session: SessionDep, user: CurrentUser, data: PortionsIn,
                 publish: Annotated[Any, Depends(_publisher)]) -> PortionSetOut:
    """Portions prepared of a dish for a meal period (``add`` adds); told to the kiosks."""
    plan, published = portions.set_portions(session=session, data=data, actor=user.username,
                                            publish=publish)
    return PortionSetOut(prepared=plan.prepared, published=published)


@router.get("/portions", response_model=list[PortionOut])
def get_portions(session: SessionDep, site_id: SiteQuery, service_date: date,
                 meal_period: Annotated[str, Query(min_length=1, max_length=32)]) -> list[
        PortionOut]:
    """Prepared against sold (ingested orders) for a meal period of a day."""
    rows = portions.status(session, site_id=site_id, day=service_date, meal_period=meal_period)
    return [PortionOut(**asdict(r), left=r.left) for r in rows]


@router.get("/purchase-suggestions")
def purchase_suggestions(
    session: SessionDep, site_id: SiteQuery, start: date,
    days: Annotated[int, Query(ge=1, le=14)] = 3,
) -> list[dict[str, Any]]:
    """What to order, by supplier, for the forecast demand of ``days`` days from ``start``."""
    return _rows(purchasing.suggestions(session, site_id=site_id, start=start, days=days))


@router.post("/purchase-orders", response_model=IdOut, status_code=status.HTTP_201_CREATED,
             dependencies=edit)
def create_purchase_order(session: SessionDep, user: CurrentUser,
                          data: PurchaseOrderCreate) -> IdOut:
    """An open purchase order of one supplier's suggested lines."""
    site = inventory.site_of(session, data.site_id)
    if data.start > inventory.site_today(site) + timedelta(days=60):
        raise InvalidInputError("start is more than 60 days ahead", field="start")
    po = purchasing.create_purchase_order(session=session, data=data, actor=user.username,
                                          today=inventory.site_today(site))
    return IdOut(id=po.id or 0)


DOCS = {"xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 purchase_docs.to_xlsx),
        "pdf": ("application/pdf", purchase_docs.to_pdf)}


@router.get("/purchase-orders/{purchase_order_id}.{fmt}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, DOCS["xlsx"][0]: {}}}})
def purchase_order_document(session: SessionDep, purchase_order_id: IdPath,
                            fmt: Annotated[str, Path(pattern="^(xlsx|pdf)$")]) -> Response:
    """A purchase order as XLSX or PDF (Chinese and English)."""
    media, render = DOCS[fmt]
    body = render(purchasing.purchase_order_view(session, purchase_order_id))
    name = f"PO-{purchase_order_id:05d}.{fmt}"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
