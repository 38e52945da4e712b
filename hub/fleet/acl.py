"""Mosquitto ACL patterns, derived from protocol's topic builders (never spelled out here).

protocol/topics.py builds concrete topics and a few filters; an ACL also needs "every
topic under this device's uplinks" and "any site's downlinks". Those are made by
building a concrete topic with placeholder ids and turning levels into wildcards, so a
change of the topic scheme in protocol changes the ACL with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protocol.topics import (
    device_downlink_filters,
    device_downlink_topic,
    kitchen_filter,
    kitchen_topic,
    portions_filter,
    site_downlink_topic,
    status_filter,
    status_topic,
    uplink_filter,
    uplink_topic,
)

Access = Literal["read", "write", "readwrite"]

_ANY_SITE = "__acl_any_site__"
_ANY_DEVICE = "__acl_any_device__"
_SOME_EVENT = "acl.placeholder"
_SOME_KIND = "placeholder"


@dataclass(frozen=True, slots=True)
class AclRule:
    """One ``topic <access> <pattern>`` line of a Mosquitto acl_file."""

    access: Access
    pattern: str

    def line(self) -> str:
        """The acl_file line."""
        return f"topic {self.access} {self.pattern}"


def _subtree(topic: str) -> str:
    """Replace the last level of a concrete topic by ``#`` (everything at that depth and below)."""
    return topic.rsplit("/", 1)[0] + "/#"


def _any(topic: str, *placeholders: str) -> str:
    """Turn every level equal to a placeholder into ``+``."""
    return "/".join("+" if level in placeholders else level for level in topic.split("/"))


def device_uplinks(site: str, device: str) -> str:
    """Every uplink event topic of one device."""
    return _subtree(uplink_topic(site, device, _SOME_EVENT))


def kitchen_presence_topic(site: str, device: str) -> str:
    """Retained presence (and last will) of a kitchen device, as edge_agent.kitchen.link uses it."""
    return kitchen_topic(site, "display", device)


def device_rules(site: str, device: str, *, kitchen: bool) -> list[AclRule]:
    """What a device may do: publish only as itself, read only what is meant for it."""
    own_down, site_down = device_downlink_filters(site, device)
    rules = [
        AclRule("write", device_uplinks(site, device)),
        AclRule("write", status_topic(site, device)),
        AclRule("read", own_down),
        AclRule("read", site_down),
        # Portion counts (sold-out kiosk to kiosk): read the site's, publish only its own.
        AclRule("read", portions_filter(site)),
        AclRule("write", kitchen_topic(site, "portions", "sold", device)),
    ]
    if kitchen:
        # KDS and pickup boards take tickets straight from the kiosks' uplinks on the
        # site broker (order.placed, order.state) and show each other's presence.
        rules += [
            AclRule("read", uplink_filter(site)),
            AclRule("read", kitchen_filter(site)),
            AclRule("write", kitchen_presence_topic(site, device)),
            AclRule("write", _subtree(kitchen_topic(site, "portions", "prepared", "x"))),
        ]
    return rules


def hub_rules() -> list[AclRule]:
    """What the hub's service users may do: read every uplink and status, write downlinks."""
    all_device_down = _any(
        _subtree(device_downlink_topic(_ANY_SITE, _ANY_DEVICE, _SOME_KIND)), _ANY_SITE, _ANY_DEVICE
    )
    all_site_down = _any(_subtree(site_downlink_topic(_ANY_SITE, _SOME_KIND)), _ANY_SITE)
    return [
        AclRule("read", uplink_filter()),
        AclRule("read", status_filter()),
        AclRule("write", all_device_down),
        AclRule("write", all_site_down),
        # Portions set on the hub (hub.supply.portions), retained on the site's kitchen topic.
        AclRule("write", _any(_subtree(kitchen_topic(_ANY_SITE, "portions", "prepared", "x")),
                              _ANY_SITE)),
    ]
