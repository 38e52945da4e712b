"""Purchase suggestions (forecast x recipe - stock - open orders, whole packs, by supplier)
and purchase orders as XLSX and PDF (the PDF rendered to PNG with pdftoppm)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from hub.models.supply import PurchaseOrderCreate, ReceiptCreate
from hub.supply import inventory, purchase_docs, purchasing
from tests.hub.conftest import make_settings
from tests.support.supply import Canteen, make_canteen

START = date(2026, 3, 9)
NOW = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)


@pytest.fixture
def canteen(tmp_path: Path) -> Canteen:
    return make_canteen(make_settings(tmp_path))


def forecast_double(c: Canteen) -> purchasing.ForecastFn:
    """Stands in for hub.supply.forecast.forecast_portions (same signature)."""
    d = c.dishes

    def forecast(_s: Session, site_id: int, start: date, days: int) -> dict[
            tuple[int, date, int], float]:
        assert (site_id, start, days) == (c.site_id, START, 2)
        return {(d["d-kungpao"], START, 1): 10.0, (d["d-kungpao"], START + timedelta(1), 1): 20.0,
                (d["d-tomato-egg"], START, 1): 5.0, (d["d-buffet"], START, 1): 4.0,
                (d["d-rice"], START + timedelta(5), 1): 999.0}  # outside the window
    return forecast


def test_suggestions_subtract_stock_and_open_orders_and_round_to_packs(
        canteen: Canteen) -> None:
    c = canteen
    with Session(c.engine) as s:
        inventory.receive(session=s, actor="t", now=NOW, data=ReceiptCreate.model_validate({
            "site_id": c.site_id, "supplier_id": c.suppliers["farm"], "lines": [
                {"ingredient_id": c.ingredients["chicken"], "qty": 1000, "lot_code": "A",
                 "expires_on": "2026-03-20"}]}))
        groups = purchasing.suggestions(s, site_id=c.site_id, start=START, days=2,
                                        forecast=forecast_double(c))
    by_code = {ln.code: (g.code, g.order_by, ln) for g in groups for ln in g.lines}
    _, farm_by, chicken = by_code["chicken"]
    # 30 portions x 150 g = 4500 g; 1000 g on hand; 3500 g short -> one 5 kg pack.
    assert (chicken.need, chicken.on_hand, chicken.short, chicken.packs, chicken.qty) == (
        4500, 1000, 3500, 1, 5000)
    assert farm_by == START - timedelta(days=2)  # the farm's lead time is 2 days
    assert (by_code["egg"][2].need, by_code["egg"][2].packs) == (10, 1)
    # A weighed dish's portion is the default 250 g: 4 x 2.5 x 80 g of greens.
    assert by_code["greens"][2].need == pytest.approx(800)
    assert "rice" not in by_code  # its only forecast is outside the window

    with Session(c.engine) as s:
        po = purchasing.create_purchase_order(
            session=s, actor="buyer", today=NOW.date(), forecast=forecast_double(c),
            data=PurchaseOrderCreate(site_id=c.site_id, supplier_id=c.suppliers["farm"],
                                     start=START, days=2))
        again = purchasing.suggestions(s, site_id=c.site_id, start=START, days=2,
                                       forecast=forecast_double(c))
        assert po.id is not None
        view = purchasing.purchase_order_view(s, po.id)
    # The open order now covers the chicken and the eggs: nothing more from the farm.
    assert all(g.code != "farm" for g in again)
    assert [(i.code, ln.packs, ln.qty) for i, ln in view.lines] == [
        ("chicken", 1, 5000), ("egg", 1, 30)]


def test_purchase_order_xlsx_and_pdf(canteen: Canteen, artifacts: Path) -> None:
    c = canteen
    with Session(c.engine) as s:
        po = purchasing.create_purchase_order(
            session=s, actor="buyer", today=NOW.date(), forecast=forecast_double(c),
            data=PurchaseOrderCreate(site_id=c.site_id, supplier_id=c.suppliers["farm"],
                                     start=START, days=2))
        assert po.id is not None
        view = purchasing.purchase_order_view(s, po.id)
    sheet = load_workbook(io.BytesIO(purchase_docs.to_xlsx(view))).active
    assert sheet is not None
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1][:2] == ("供应商 Supplier", "绿源农场 Green Source Farm (farm)")
    assert ("chicken", "鸡腿肉 Chicken thigh", "g", 1, 5000, 5000) in rows
    pdf = purchase_docs.to_pdf(view)
    assert pdf.startswith(b"%PDF")
    assert shutil.which("pdftoppm"), "poppler-utils (scripts/_setup.sh) renders the PDF"
    target = artifacts / "supply-purchase-order.pdf"
    target.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(target),
                    str(artifacts / "supply-purchase-order")], check=True, timeout=60)
    png = artifacts / "supply-purchase-order.png"
    assert png.stat().st_size > 5000  # a page with text, not a blank one
