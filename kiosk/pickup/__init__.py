"""Pickup board mode (``--mode pickup``): registers its root widget with the kiosk app."""

from __future__ import annotations

from typing import Any

from kivy.uix.widget import Widget

from kiosk.app import register_mode


@register_mode("pickup")
def build_pickup(services: Any, controllers: Any) -> Widget:
    """The board: a controller over this device's BoardStore, fed by the site-broker link."""
    from kivy.app import App

    from edge_agent.kitchen.board_store import BoardStore
    from edge_agent.kitchen.link import KitchenLink
    from kiosk.pickup.controller import Announcer, PickupController
    from kiosk.pickup.screen import PickupRoot

    cfg = services.config

    def store() -> BoardStore:
        return BoardStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id)

    root = PickupRoot(PickupController(store(), cfg), Announcer(cfg.announce),
                      font=App.get_running_app().theme.font_name)
    link = KitchenLink(cfg, store, on_change=root.changed, on_status=root.link_changed)
    services.links.append(link)
    link.start()
    return root
