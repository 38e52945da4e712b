"""Whether the agent reaches the hub: drives the offline banner and the offline spending cap."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from edge_agent.store import DeviceStore
from kiosk.config import ConnectivityConfig

log = logging.getLogger(__name__)


class ConnectivityStatus(Protocol):
    """Tells whether the device is online (the hub confirms what we send)."""

    def online(self) -> bool:
        """True when the hub is reachable, as far as the device knows."""
        ...


class FixedConnectivity:
    """Always the same answer (tests, a kiosk without an agent); ``value`` may be flipped."""

    def __init__(self, online: bool = True) -> None:
        """Start online or offline."""
        self.value = online

    def online(self) -> bool:
        """The fixed answer."""
        return self.value


class OutboxConnectivity:
    """Offline when an event has waited in the outbox longer than ``stale_after_s``.

    The agent deletes an outbox row only when the hub has acknowledged it, so a row
    older than the threshold means the hub has not answered for that long. With an
    empty outbox nothing is waiting, and the device counts as online.
    """

    def __init__(
        self, store: DeviceStore, stale_after_s: float, now: Callable[[], float] = time.time
    ) -> None:
        """Read from the store's outbox table."""
        self.store = store
        self.stale_after_s = stale_after_s
        self._now = now

    def online(self) -> bool:
        """True unless an unacknowledged event is older than the threshold."""
        (oldest,) = self.store.conn.execute("SELECT min(created_at) FROM outbox").fetchone()
        return oldest is None or self._now() - float(oldest) <= self.stale_after_s


class AgentConnectivity:
    """The broker link as the edge agent records it in the device store (``agent.*`` meta).

    Online while the agent says "connected" and refreshed that within ``stale_after_s``; a
    link reported down, or an agent that stopped refreshing (crashed, stopped), is offline.
    Before any agent has written, the outbox age is the fallback guess.
    """

    def __init__(
        self, store: DeviceStore, stale_after_s: float, now: Callable[[], float] = time.time
    ) -> None:
        """Read the store's meta table (the agent writes, the kiosk only reads)."""
        self.store = store
        self.stale_after_s = stale_after_s
        self._now = now
        self.fallback = OutboxConnectivity(store, stale_after_s, now)

    def online(self) -> bool:
        """True for a fresh "connected" from the agent (outbox guess when it never wrote)."""
        link = self.store.agent_link()
        if link is None:
            return self.fallback.online()
        return link.connected and self._now() - link.alive_at <= self.stale_after_s


class StatusFileConnectivity:
    """Reads ``{"state": "online"|"offline", "at": ISO time}`` that the agent writes.

    Missing, unreadable or stale means offline: spending is then capped, which is the
    safe side.
    """

    def __init__(
        self, path: Path, stale_after_s: float, now: Callable[[], float] = time.time
    ) -> None:
        """Watch ``path``."""
        self.path = path
        self.stale_after_s = stale_after_s
        self._now = now

    def online(self) -> bool:
        """True only for a fresh "online" report."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            at = datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00")).timestamp()
            state = data["state"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.debug("status file %s unreadable: %s", self.path, err)
            return False
        return state == "online" and self._now() - at <= self.stale_after_s


def build_connectivity(config: ConnectivityConfig, store: DeviceStore) -> ConnectivityStatus:
    """The provider the config asks for."""
    if config.source == "status_file":
        assert config.status_file is not None  # the config validator guarantees it
        return StatusFileConnectivity(config.status_file, config.stale_after_s)
    if config.source == "always_online":
        return FixedConnectivity(True)
    if config.source == "always_offline":
        return FixedConnectivity(False)
    if config.source == "outbox":
        return OutboxConnectivity(store, config.stale_after_s)
    return AgentConnectivity(store, config.stale_after_s)
