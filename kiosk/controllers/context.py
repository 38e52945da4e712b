"""What the step controllers share: the services they use and the current diner's session."""

from __future__ import annotations

from dataclasses import dataclass, field

from edge_agent.store import DeviceStore
from kiosk.config import KioskConfig
from kiosk.recommend import Recommender
from kiosk.services.cart import Cart
from kiosk.services.catalog import CatalogService
from kiosk.services.clock import Clock
from kiosk.services.connectivity import ConnectivityStatus
from kiosk.services.coupons import CouponDesk, ScannedCoupon
from kiosk.services.devices import DeviceEvents, ScaleService
from kiosk.services.history import OrderHistory
from kiosk.services.members import MemberDirectory
from kiosk.services.ordering import OrderService
from kiosk.services.receipts import ReceiptService
from protocol.member_cache import CachedMember
from protocol.payloads.catalog import MealPeriod
from rules.dietary import DietaryFilter


@dataclass
class Services:
    """Everything the controllers need, built once by ``kiosk.services.bootstrap``."""

    config: KioskConfig
    store: DeviceStore
    clock: Clock
    catalog: CatalogService
    members: MemberDirectory
    orders: OrderService
    history: OrderHistory
    receipts: ReceiptService
    scale: ScaleService
    connectivity: ConnectivityStatus
    recommender: Recommender
    coupons: CouponDesk | None = None  # None: coupons are not taken on this kiosk
    events: DeviceEvents | None = None  # readers and camera (the journey switches the camera)


@dataclass
class Session:
    """The current diner: forgotten entirely on idle reset (privacy)."""

    member: CachedMember | None = None
    guest: bool = False
    cart: Cart = field(default_factory=Cart)
    diet: DietaryFilter = field(default_factory=DietaryFilter)
    period: MealPeriod | None = None
    use_points: bool = False
    coupon: ScannedCoupon | None = None  # scanned at checkout; priced by rules
    checkout_id: str | None = None  # one order id per checkout attempt: retries record once
    last_order_id: str | None = None
    previous_order_id: str | None = None  # an earlier meal to ask about
