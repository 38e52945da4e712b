"""Rows the hub stores for one ingested event, and the checks that they fit its columns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.ingest.directory import HubDish, KnownDevice
from protocol import Envelope, FeedbackGiven, OrderPlaced

# Where each numeric field of an ingested message is stored as is: "type:path" (the path
# as tests/ingest/test_wire_widths.py walks the payload's JSON schema) -> "table.column"s.
# () means the hub reads the value but keeps no column of it. Every numeric field of every
# uplink type must be named here, and each column must hold the field's whole wire range
# (the test fails on a new field, or a column narrower than the wire). Downlinks are not
# here: the hub writes them from its own rows, it never stores them from the wire.
WIRE_COLUMNS: dict[str, tuple[str, ...]] = {
    "order.placed:lines[].qty": ("order_line.qty",),
    "order.placed:lines[].unit_price_cents": ("order_line.unit_price_cents",),
    "order.placed:lines[].weight_g": ("order_line.weight_g",),
    "order.placed:lines[].modifiers[].price_delta_cents": (
        "order_line_modifier.price_delta_cents",),
    "order.placed:lines[].line_total_cents": ("order_line.line_total_cents",),
    "order.placed:subtotal_cents": ("orders.subtotal_cents",
                                    "sync_price_review.kiosk_subtotal_cents"),
    "order.placed:discount_cents": ("orders.discount_cents",),
    "order.placed:total_cents": ("orders.total_cents", "sync_price_review.kiosk_total_cents",
                                 "order_posting.total_cents"),
    "order.placed:payments[].amount_cents": ("payment.amount_cents",),
    "order.placed:pricing.catalog_version": (),  # compared with the hub's, not stored
    "order.placed:pricing.set_meals[].picks[].line": (),  # an index into the order's lines
    "feedback.given:rating": ("feedback.rating",),
    "device.heartbeat:queue_depth": ("sync_device_health.queue_depth",),
    "device.heartbeat:oldest_unsent_age_s": ("sync_device_health.oldest_unsent_age_s",),
    "device.heartbeat:catalog_version": ("sync_device_health.catalog_version",),
    "device.heartbeat:config_version": (),
    "device.heartbeat:disk_free_mb": (),
    "device.heartbeat:uptime_s": (),
    # Schema 1.1 heartbeat figures (issue 16): kept by hub.fleet.health, not by ingest.
    "device.heartbeat:disk_total_mb": ("fleet_device_state.disk_total_mb",),
    "device.heartbeat:dead_letters": ("fleet_device_state.dead_letters",),
    # Schema 1.1: per-dish ratings (CRM) and the frames a face template averaged (not kept).
    "feedback.given:dishes[].rating": ("crm_dish_rating.rating",),
    "face.enrolled:frames": (),
    # Schema 1.1 kitchen display record (hub.supply.kitchen_portions): cooked is the day's
    # prepared count; left-over is booked as waste, left_over x each recipe quantity.
    "portions.recorded:dishes[].cooked": ("portion_plan.prepared",),
    "portions.recorded:dishes[].left_over": (),
}

# Column widths of the hub tables that are narrower than what the wire allows:
# refuse up front, so a message never fails half-way through a batch insert.
_LIMITS = (("dish id", 32), ("modifier name", 60), ("payment reference", 120))


def misfit(order: OrderPlaced) -> str | None:
    """Why this valid wire order cannot be stored as is, or None when it fits."""
    for line in order.lines:
        if len(line.dish_id) > _LIMITS[0][1]:
            return f"dish id {line.dish_id[:40]!r} longer than {_LIMITS[0][1]} characters"
        for mod in line.modifiers:
            if max(len(mod.name_zh), len(mod.name_en)) > _LIMITS[1][1]:
                return f"modifier {mod.code!r} name longer than {_LIMITS[1][1]} characters"
    for pay in order.payments:
        if pay.reference is not None and len(pay.reference) > _LIMITS[2][1]:
            return f"payment reference longer than {_LIMITS[2][1]} characters"
    return None


class OrderRows:
    """The rows of a batch's new orders, appended as they are accepted."""

    def __init__(self, received_at: datetime) -> None:
        self.received_at = received_at
        self.orders: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.modifiers: list[tuple[str, int, dict[str, Any]]] = []  # order id, line no, row

    def add(
        self,
        order: OrderPlaced,
        device: KnownDevice,
        *,
        member_id: int | None,
        dishes: dict[str, HubDish],
    ) -> None:
        """Add an order with its lines, modifiers and payments."""
        self.orders.append({
            "id": order.order_id, "order_no": order.order_no, "site_id": device.site_id,
            "device_id": device.device_id, "member_id": member_id,
            "placed_at": order.placed_at, "meal_period": order.meal_period,
            "subtotal_cents": order.subtotal_cents, "discount_cents": order.discount_cents,
            "total_cents": order.total_cents, "paid": order.paid, "offline": order.offline,
            "received_at": self.received_at,
        })
        for n, line in enumerate(order.lines, start=1):
            dish = dishes.get(line.dish_id)
            self.lines.append({
                "order_id": order.order_id, "line_no": n,
                "dish_id": dish.dish_id if dish else None, "dish_code": line.dish_id,
                "name_zh": line.name_zh, "name_en": line.name_en, "qty": line.qty,
                "unit_price_cents": line.unit_price_cents, "weight_g": line.weight_g,
                "line_total_cents": line.line_total_cents, "station": line.station,
            })
            for mod in line.modifiers:
                self.modifiers.append((order.order_id, n, {
                    "code": mod.code, "name_zh": mod.name_zh, "name_en": mod.name_en,
                    "price_delta_cents": mod.price_delta_cents,
                }))
        for pay in order.payments:
            self.payments.append({
                "order_id": order.order_id, "method": pay.method,
                "amount_cents": pay.amount_cents, "reference": pay.reference,
                "created_at": self.received_at,
            })


def feedback_row(feedback: FeedbackGiven, received_at: datetime) -> dict[str, Any]:
    """The hub's feedback row for a feedback.given event."""
    return {
        "order_id": feedback.order_id, "rating": feedback.rating, "tags": list(feedback.tags),
        "comment": feedback.comment or "", "created_at": received_at,
    }


def message_row(
    envelope: Envelope, digest: str, device: KnownDevice, received_at: datetime
) -> dict[str, Any]:
    """The idempotency-log row of an accepted event (with the order's local business day)."""
    payload = envelope.payload
    order_id = day = None
    if isinstance(payload, OrderPlaced):
        order_id = payload.order_id
        day = payload.placed_at.astimezone(device.tz).date().isoformat()
    return {
        "message_id": envelope.message_id, "digest": digest, "type": envelope.type,
        "site_id": device.site_id, "device_id": device.device_id, "order_id": order_id,
        "business_day": day, "received_at": received_at,
    }
