"""Wire the kiosk from its config: store, catalog, members, hardware; explicit start and stop."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from edge_agent.store import DeviceStore
from hardware.factory import build_device, build_receipt_printing
from hardware.readers.devices import BarcodeScanner, LineCardReader, Rdm6300Reader
from hardware.scale import ContinuousScale
from kiosk.config import KioskConfig
from kiosk.controllers.context import Services
from kiosk.model_recommender import ModelRecommender
from kiosk.recommend import PopularityRecommender, Recommender
from kiosk.services.catalog import CatalogService
from kiosk.services.clock import Clock, SystemClock
from kiosk.services.connectivity import ConnectivityStatus, build_connectivity
from kiosk.services.coupons import CouponDesk
from kiosk.services.devices import DeviceEvents, ScaleService
from kiosk.services.history import OrderHistory
from kiosk.services.members import MemberDirectory
from kiosk.services.ordering import OrderService
from kiosk.services.receipts import ReceiptService

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Services plus the hardware threads, with one start and one stop."""

    services: Services
    events: DeviceEvents
    _flush: threading.Thread | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        """Open devices and start their threads."""
        self.services.scale.start()
        self.events.start()
        printing = self.services.receipts.printing
        if printing is not None:
            printing.recover()
            # Receipts queued before a crash print once now, without holding up the screen.
            self._flush = threading.Thread(
                target=self.services.receipts.flush, name="receipt-flush", daemon=True
            )
            self._flush.start()

    def stop(self) -> None:
        """Undo start, then close the store."""
        if self._flush is not None:
            self._flush.join(timeout=10)
        self.events.stop()
        self.services.scale.stop()
        printing = self.services.receipts.printing
        if printing is not None:
            printing.stop()
        self.services.store.close()


def build_services(
    config: KioskConfig,
    *,
    clock: Clock | None = None,
    connectivity: ConnectivityStatus | None = None,
    recommender: Recommender | None = None,
    with_hardware: bool = True,
) -> Runtime:
    """Everything the controllers need; nothing is opened on a port until ``start()``."""
    clock = clock or SystemClock()
    # the store stamps placed_at with the kiosk's clock, so ready estimates agree with it
    store = DeviceStore(config.store_path, site_id=config.site_id, device_id=config.device_id,
                        timezone=config.timezone, clock=clock.now)
    catalog = CatalogService(store, config.timezone)
    connectivity = connectivity or build_connectivity(config.connectivity, store)
    members = MemberDirectory(store, clock, token_keys=config.member_ids.token_keys,
                              site_key=config.member_ids.site_key())
    history = OrderHistory(store, config.timezone)
    orders = OrderService(store, catalog, clock, connectivity,
                          remainder_to_counter=config.remainder_to_counter)
    coupons = CouponDesk(store, clock, token_keys=config.member_ids.token_keys,
                         catalog=catalog)
    hw = config.hardware
    roles = config.roles
    readers: list[LineCardReader | Rdm6300Reader | BarcodeScanner] = []
    scale = None
    camera = None
    printing = None
    if with_hardware:
        for name in (roles.card_reader, roles.scanner):
            if name is not None:
                dev = build_device(name, hw.devices[name])
                assert isinstance(dev, LineCardReader | Rdm6300Reader | BarcodeScanner)
                readers.append(dev)
        if roles.scale is not None:
            built = build_device(roles.scale, hw.devices[roles.scale])
            assert isinstance(built, ContinuousScale)
            scale = built
        if roles.camera is not None:
            cam = build_device(roles.camera, hw.devices[roles.camera])
            camera = cam  # OpenCvCamera | ReplayCamera by the config validator
        printing = build_receipt_printing(hw)
    events = DeviceEvents(readers, camera)  # type: ignore[arg-type]
    services = Services(
        config=config, store=store, clock=clock, catalog=catalog, members=members,
        orders=orders, history=history, receipts=ReceiptService(printing),
        scale=ScaleService(scale), connectivity=connectivity,
        recommender=recommender or ModelRecommender(
            store, PopularityRecommender(history), config.timezone),
        coupons=coupons, events=events,
    )
    return Runtime(services, events)
