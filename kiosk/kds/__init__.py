"""Kitchen display mode (``--mode kds``): registers its root widget with the kiosk app."""

from __future__ import annotations

from typing import Any

from kivy.uix.widget import Widget

from kiosk.app import register_mode


@register_mode("kds")
def build_kds(services: Any, controllers: Any) -> Widget:
    """The KDS root: a controller over this device's KdsStore, fed by the site-broker link."""
    from kivy.app import App

    from edge_agent.kitchen.kds_store import KdsStore
    from edge_agent.kitchen.link import KitchenLink
    from kiosk.kds.controller import KdsController
    from kiosk.kds.screen import KdsRoot

    cfg = services.config

    def store() -> KdsStore:
        return KdsStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id,
                        stations=cfg.stations)

    root = KdsRoot(KdsController(store(), cfg), font=App.get_running_app().theme.font_name)
    link = KitchenLink(cfg, store, on_change=root.changed, on_status=root.link_changed)
    services.links.append(link)
    link.start()
    return root
