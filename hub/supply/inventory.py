"""Suppliers, ingredients, goods receipts, stock counts and waste: the writes of inventory.

Each write checks everything first and refuses bad input with the field and the reason
(``InvalidInputError``), so a refused receipt, count or waste record writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hub.db_types import utcnow
from hub.errors import InvalidInputError, NotFoundError
from hub.models.sites import Site
from hub.models.supply import (
    CountCreate,
    GoodsReceipt,
    Ingredient,
    IngredientCreate,
    MovementKind,
    PurchaseOrder,
    PurchaseStatus,
    ReceiptCreate,
    StockCount,
    StockLot,
    StockMovement,
    Supplier,
    SupplierCreate,
    WasteCreate,
)
from hub.services.common import commit_or_conflict


def site_of(session: Session, site_id: int, *, field: str = "site_id") -> Site:
    """The site, or a refusal naming the field."""
    site = session.get(Site, site_id)
    if site is None:
        raise InvalidInputError(f"食堂 {site_id} 不存在 / site {site_id} does not exist",
                                field=field)
    return site


def site_today(site: Site, now: datetime | None = None) -> date:
    """The business date at the site now (its own time zone)."""
    return (now or utcnow()).astimezone(ZoneInfo(site.timezone)).date()


def _ingredient(session: Session, ingredient_id: int, field: str) -> Ingredient:
    ingredient = session.get(Ingredient, ingredient_id)
    if ingredient is None:
        raise InvalidInputError(f"食材 {ingredient_id} 不存在 / "
                                f"ingredient {ingredient_id} does not exist", field=field)
    return ingredient


def create_supplier(*, session: Session, data: SupplierCreate) -> Supplier:
    """Add a supplier (409 when the code is taken)."""
    supplier = Supplier.model_validate(data)
    session.add(supplier)
    commit_or_conflict(session, message=f"supplier code {data.code!r} is taken")
    session.refresh(supplier)
    return supplier


def create_ingredient(*, session: Session, data: IngredientCreate) -> Ingredient:
    """Add an ingredient (409 when the code is taken)."""
    if data.supplier_id is not None and session.get(Supplier, data.supplier_id) is None:
        raise InvalidInputError(f"供应商 {data.supplier_id} 不存在 / "
                                f"supplier {data.supplier_id} does not exist",
                                field="supplier_id")
    ingredient = Ingredient.model_validate(data)
    session.add(ingredient)
    commit_or_conflict(session, message=f"ingredient code {data.code!r} is taken")
    session.refresh(ingredient)
    return ingredient


def list_suppliers(*, session: Session) -> Sequence[Supplier]:
    """Every supplier by code."""
    return session.exec(select(Supplier).order_by(col(Supplier.code))).all()


def list_ingredients(*, session: Session) -> Sequence[Ingredient]:
    """Every ingredient by code."""
    return session.exec(select(Ingredient).order_by(col(Ingredient.code))).all()


def receive(*, session: Session, data: ReceiptCreate, actor: str,
            now: datetime | None = None) -> GoodsReceipt:
    """Take a delivery in: one lot per line, stock up by each; an expired lot is refused."""
    now = now or utcnow()
    site = site_of(session, data.site_id)
    if session.get(Supplier, data.supplier_id) is None:
        raise InvalidInputError(f"供应商 {data.supplier_id} 不存在 / "
                                f"supplier {data.supplier_id} does not exist",
                                field="supplier_id")
    po = None
    if data.purchase_order_id is not None:
        po = session.get(PurchaseOrder, data.purchase_order_id)
        if po is None or po.site_id != site.id or po.supplier_id != data.supplier_id:
            raise InvalidInputError(
                f"采购单 {data.purchase_order_id} 不属于该供应商或食堂 / purchase order "
                f"{data.purchase_order_id} is not this supplier's for this site",
                field="purchase_order_id")
    today = site_today(site, now)
    for i, line in enumerate(data.lines):
        _ingredient(session, line.ingredient_id, f"lines.{i}.ingredient_id")
        if line.expires_on < today:
            raise InvalidInputError(
                f"保质期 {line.expires_on} 已过（食堂今天是 {today}），过期食材不入库 / expiry "
                f"{line.expires_on} is in the past (today is {today} at the site): "
                "expired food is not taken into stock", field=f"lines.{i}.expires_on")
        if line.produced_on is not None and line.produced_on > today:
            raise InvalidInputError(f"批次日期 {line.produced_on} 在未来 / "
                                    f"lot date {line.produced_on} is in the future",
                                    field=f"lines.{i}.produced_on")
    receipt = GoodsReceipt(site_id=data.site_id, supplier_id=data.supplier_id, received_at=now,
                           reference=data.reference, purchase_order_id=data.purchase_order_id,
                           received_by=actor[:64])
    session.add(receipt)
    session.flush()
    assert receipt.id is not None
    for line in data.lines:
        lot = StockLot(receipt_id=receipt.id, site_id=data.site_id,
                       ingredient_id=line.ingredient_id, lot_code=line.lot_code,
                       produced_on=line.produced_on, expires_on=line.expires_on, qty=line.qty,
                       received_at=now)
        session.add(lot)
        session.flush()
        session.add(StockMovement(site_id=data.site_id, ingredient_id=line.ingredient_id,
                                  kind=MovementKind.RECEIPT, qty=line.qty, at=now,
                                  business_date=today, lot_id=lot.id))
    if po is not None:
        po.status = PurchaseStatus.RECEIVED
        session.add(po)
    session.commit()
    session.refresh(receipt)
    return receipt


def count(*, session: Session, data: CountCreate, actor: str,
          now: datetime | None = None) -> list[StockCount]:
    """Record a count; the ledger moves by the difference found (a ``count`` movement)."""
    from hub.supply.stock import on_hand  # stock reads the ledger this module writes

    now = now or utcnow()
    site = site_of(session, data.site_id)
    seen: set[int] = set()
    for i, line in enumerate(data.lines):
        field = f"lines.{i}.ingredient_id"
        _ingredient(session, line.ingredient_id, field)
        if line.ingredient_id in seen:
            raise InvalidInputError(f"食材 {line.ingredient_id} 盘点了两次 / "
                                    f"ingredient {line.ingredient_id} is counted twice",
                                    field=field)
        seen.add(line.ingredient_id)
    assert site.id is not None
    expected = on_hand(session.connection(), site.id)
    today = site_today(site, now)
    rows = []
    for line in data.lines:
        was = expected.get(line.ingredient_id, 0.0)
        row = StockCount(site_id=site.id, ingredient_id=line.ingredient_id,
                         counted_qty=line.counted_qty, expected_qty=was, counted_at=now,
                         counted_by=actor[:64])
        session.add(row)
        rows.append(row)
        if abs(line.counted_qty - was) > 1e-9:
            session.add(StockMovement(site_id=site.id, ingredient_id=line.ingredient_id,
                                      kind=MovementKind.COUNT, qty=line.counted_qty - was,
                                      at=now, business_date=today))
    session.commit()
    for row in rows:
        session.refresh(row)
    return rows


def record_waste(*, session: Session, data: WasteCreate, actor: str,
                 now: datetime | None = None) -> StockMovement:
    """Food thrown away leaves stock with its reason (and lot, when known)."""
    now = now or utcnow()
    site = site_of(session, data.site_id)
    _ingredient(session, data.ingredient_id, "ingredient_id")
    if data.lot_id is not None:
        lot = session.get(StockLot, data.lot_id)
        if lot is None or lot.site_id != data.site_id or lot.ingredient_id != data.ingredient_id:
            raise InvalidInputError(f"批次 {data.lot_id} 不是本食堂该食材的 / "
                                    f"lot {data.lot_id} is not this ingredient's at this site",
                                    field="lot_id")
    row = StockMovement(site_id=data.site_id, ingredient_id=data.ingredient_id,
                        kind=MovementKind.WASTE, qty=-data.qty, at=now,
                        business_date=site_today(site, now), lot_id=data.lot_id,
                        reason=data.reason.value, note=(data.note or f"by {actor}")[:200])
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def get_ingredient(*, session: Session, ingredient_id: int) -> Ingredient:
    """One ingredient (404)."""
    ingredient = session.get(Ingredient, ingredient_id)
    if ingredient is None:
        raise NotFoundError(f"ingredient {ingredient_id} not found")
    return ingredient
