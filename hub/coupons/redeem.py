"""Redemption of coupons as orders arrive from kiosks: once per coupon, doubles reported.

Called by the ingest worker inside its own transaction: it flushes, never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit
from hub.models.coupons import Coupon, CouponRedemptionConflict, CouponStatus

log = logging.getLogger(__name__)
_coupon = Coupon.__table__  # type: ignore[attr-defined]


class Redemption(StrEnum):
    """What happened to a redemption reported by a device."""

    REDEEMED = "redeemed"
    ALREADY_RECORDED = "already_recorded"  # the same order again (a re-sent message)
    DOUBLE = "double"  # another order had already used it: recorded for review
    UNKNOWN = "unknown"  # no such coupon, or a voided one: recorded for review


def _conflict(
    session: Session,
    *,
    coupon_id: int,
    kind: str,
    order_id: str,
    device_id: str,
    redeemed_at: datetime,
    first_order_id: str | None,
) -> None:
    exists = session.exec(
        select(CouponRedemptionConflict).where(
            CouponRedemptionConflict.coupon_id == coupon_id,
            CouponRedemptionConflict.order_id == order_id,
        )
    ).first()
    if exists is None:
        session.add(
            CouponRedemptionConflict(
                coupon_id=coupon_id,
                kind=kind,
                order_id=order_id,
                device_id=device_id,
                redeemed_at=redeemed_at,
                first_order_id=first_order_id,
            )
        )
        session.flush()
        log.warning(
            "coupon %s: %s redemption by order %s on %s (first: %s)",
            coupon_id,
            kind,
            order_id,
            device_id,
            first_order_id,
        )


def redeem_coupon(
    session: Session, *, coupon_id: int, order_id: str, device_id: str, redeemed_at: datetime
) -> Redemption:
    """Mark the coupon used by this order; idempotent per order; a second order is reported."""
    # One conditional UPDATE: of two workers racing, exactly one sees a row changed.
    done = session.execute(
        sa.update(_coupon)
        .where(_coupon.c.id == coupon_id, _coupon.c.status == CouponStatus.ISSUED.value)
        .values(
            status=CouponStatus.REDEEMED.value,
            redeemed_order_id=order_id,
            redeemed_device_id=device_id,
            redeemed_at=redeemed_at,
        )
    )
    if done.rowcount == 1:  # type: ignore[attr-defined]
        coupon = session.get(Coupon, coupon_id)
        record_audit(
            session,
            actor=f"device:{device_id}",
            action="coupon.redeem",
            entity="coupon",
            entity_id=coupon_id,
            member_id=coupon.member_id if coupon else None,
            after={"order_id": order_id},
        )
        session.flush()
        return Redemption.REDEEMED
    coupon = session.get(Coupon, coupon_id)
    if coupon is not None:
        session.refresh(coupon)
    if coupon is not None and coupon.redeemed_order_id == order_id:
        return Redemption.ALREADY_RECORDED
    kind = (
        Redemption.DOUBLE
        if coupon is not None and coupon.status == CouponStatus.REDEEMED
        else Redemption.UNKNOWN
    )
    _conflict(
        session,
        coupon_id=coupon_id,
        kind=kind.value,
        order_id=order_id,
        device_id=device_id,
        redeemed_at=redeemed_at,
        first_order_id=coupon.redeemed_order_id if coupon else None,
    )
    return kind


def list_conflicts(
    *, session: Session, include_resolved: bool = False, limit: int = 100, offset: int = 0
) -> Sequence[CouponRedemptionConflict]:
    """Double or unknown redemptions, newest first."""
    stmt = select(CouponRedemptionConflict)
    if not include_resolved:
        stmt = stmt.where(col(CouponRedemptionConflict.resolved).is_(False))
    return session.exec(
        stmt.order_by(col(CouponRedemptionConflict.id).desc()).limit(limit).offset(offset)
    ).all()


@dataclass(frozen=True, slots=True)
class CouponBack:
    """A coupon an order redeemed, at the refund that undid the order."""

    coupon_id: int
    restored: bool  # back in the member's wallet; False: it had expired, it stays used


def restore_for_refund(session: Session, *, order_id: str, at: datetime,
                       actor: str) -> list[CouponBack]:
    """A fully refunded order gives back the coupons it redeemed, if they are still valid.

    Called by the refund service (``hub.accounts.refunds``) in the refund's transaction when
    nothing is left to refund on the order: the order is undone, so its coupon goes back to
    the member's wallet (status ``issued``, the redemption cleared) and can be used again
    until its own ``valid_until``. A coupon already past ``valid_until`` stays redeemed (it
    would lapse at once). A partial refund keeps the coupon used: the order stands.
    Audited (``coupon.restore``); flushes, never commits.
    """
    coupons = session.exec(
        select(Coupon).where(Coupon.redeemed_order_id == order_id,
                             Coupon.status == CouponStatus.REDEEMED.value)
        .order_by(col(Coupon.id)).with_for_update()).all()
    back: list[CouponBack] = []
    for coupon in coupons:
        assert coupon.id is not None
        until = coupon.valid_until if coupon.valid_until.tzinfo else coupon.valid_until.replace(
            tzinfo=UTC)
        if until <= at:
            back.append(CouponBack(coupon.id, False))
            continue
        before = {"status": coupon.status, "order_id": coupon.redeemed_order_id}
        coupon.status = CouponStatus.ISSUED.value
        coupon.redeemed_order_id = coupon.redeemed_device_id = None
        coupon.redeemed_at = None
        session.add(coupon)
        record_audit(session, actor=actor, action="coupon.restore", entity="coupon",
                     entity_id=coupon.id, member_id=coupon.member_id, at=at, before=before,
                     after={"status": coupon.status}, note=f"order {order_id} refunded"[:200])
        back.append(CouponBack(coupon.id, True))
    session.flush()
    return back
