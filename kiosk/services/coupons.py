"""Coupons scanned at checkout: a signed CC1 code, checked offline, priced by rules as a Coupon.

The code (protocol.tokens) carries the coupon id, its template code, the member and the
expiry; the template's terms come from the catalog the hub pushed (``offers.
coupon_templates``, filled from the hub's coupon_template rows). "Once only" is the
hub's to enforce (redeem_coupon at ingest); this device refuses a coupon it has itself
already recorded on an order, so one kiosk cannot take the same code twice, even offline.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from edge_agent.store import DeviceStore
from kiosk.i18n import Text
from kiosk.services.catalog import CatalogService
from kiosk.services.clock import Clock
from kiosk.services.errors import (
    CouponAlreadyUsed,
    CouponExpired,
    CouponInvalid,
    CouponNotForYou,
    CouponUnknown,
    NotConfigured,
)
from protocol.member_cache import CachedMember
from protocol.payloads.offers import CouponTemplate
from protocol.tokens import CouponClaim, TokenError, TokenExpired, verify_coupon_token
from rules.order import Coupon, CouponKind, Window

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScannedCoupon:
    """A verified coupon for this diner: its id (the payment reference) and engine terms."""

    coupon_id: str
    name: Text
    coupon: Coupon
    claim: CouponClaim


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def rules_coupon(coupon_id: str, terms: CouponTemplate, claim: CouponClaim) -> Coupon:
    """The engine's Coupon: the catalog's terms, valid in the template's window and the code's."""
    return Coupon(
        code=coupon_id,
        kind=CouponKind(terms.kind),
        amount_cents=terms.amount_cents,
        percent_bp=terms.percent_bp,
        max_off_cents=terms.max_off_cents,
        dish_id=terms.dish_id,
        min_spend_cents=terms.min_spend_cents,
        dish_ids=frozenset(terms.dish_ids),
        categories=frozenset(terms.categories),
        window=Window(terms.window.valid_from,
                      _earlier(terms.window.valid_until, claim.expires_at)),
    )


class CouponDesk:
    """Reads coupon codes for the member at the kiosk; every refusal is a typed KioskError."""

    def __init__(self, store: DeviceStore, clock: Clock, *, token_keys: Mapping[str, str],
                 catalog: CatalogService) -> None:
        """Public keys from the kiosk config; template terms from the catalog."""
        self.store = store
        self.clock = clock
        self.token_keys = dict(token_keys)
        self.catalog = catalog

    def terms(self, template_code: str) -> CouponTemplate | None:
        """The current catalog's terms of a coupon template (None: not in the catalog)."""
        snap = self.catalog.snapshot
        templates = snap.offers.coupon_templates if snap is not None else ()
        return next((t for t in templates if t.code == template_code), None)

    def read(self, raw: str, member: CachedMember | None) -> ScannedCoupon:
        """Verify a scanned coupon code for this diner (guests cannot use coupons)."""
        if not self.token_keys:
            raise NotConfigured("member_ids.token_keys")
        try:
            claim = verify_coupon_token(raw, self.token_keys, self.clock.now())
        except TokenExpired as err:
            raise CouponExpired(str(err)) from err
        except TokenError as err:
            log.info("coupon code refused: %s", err.reason)
            raise CouponInvalid(err.reason) from err
        if member is None or member.member_id != claim.member_id:
            raise CouponNotForYou(guest=member is None)
        used_by = self.store.coupon_redeemed_here(claim.coupon_id)
        if used_by is not None:
            raise CouponAlreadyUsed(claim.coupon_id, used_by)
        terms = self.terms(claim.template_code)
        if terms is None:
            raise CouponUnknown(claim.template_code)
        return ScannedCoupon(claim.coupon_id, Text(terms.name_zh, terms.name_en),
                             rules_coupon(claim.coupon_id, terms, claim), claim)

    def check_unused(self, scanned: ScannedCoupon) -> None:
        """Right before recording: refuse a coupon another order on this device took meanwhile."""
        used_by = self.store.coupon_redeemed_here(scanned.coupon_id)
        if used_by is not None:
            raise CouponAlreadyUsed(scanned.coupon_id, used_by)
