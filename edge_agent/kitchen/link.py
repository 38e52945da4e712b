"""The kitchen's own MQTT session on the site broker: order uplinks in, liveness out.

Tickets travel on the site broker, never through the hub: a KDS or pickup board
subscribes to its site's device uplinks (order.placed from kiosks, order.state
from other kitchen devices) with a persistent session (clean_start=False,
SessionExpiryInterval>0, QoS 1), so the broker queues what arrives while it is
down. A message is acknowledged only after the handler has committed it
(manual acks: ``client.ack`` after the commit; a failed commit leaves it
unacknowledged and the session reconnects), so a crash or a failed commit in
between means a redelivery, which the store's keys turn into a no-op.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from edge_agent.kitchen.config import KitchenConfig
from edge_agent.session import MqttSession, SessionSettings
from protocol.claim import kitchen_login
from protocol.codec import encode, parse
from protocol.envelope import Envelope, make_envelope
from protocol.errors import ProtocolError
from protocol.payloads.device import DeviceStatus
from protocol.topics import kitchen_topic, uplink_filter

log = logging.getLogger(__name__)

HANDLED_TYPES = frozenset({"order.placed", "order.state"})


class Handler(Protocol):
    """A store that applies kitchen envelopes (KdsStore, BoardStore)."""

    def apply_envelope(self, env: Envelope) -> bool:
        """Apply one envelope; True if what is shown may have changed."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """What the screen says about the broker: up or not, since when, last message."""

    connected: bool
    since: float  # wall clock of the last change
    last_message_at: float | None


def display_topic(site: str, device: str) -> str:
    """Retained presence of a kitchen device (online, or its last will offline)."""
    return kitchen_topic(site, "display", device)


class KitchenLink:
    """Runs the session in its own thread; the handler is created (and used) only there."""

    def __init__(
        self,
        config: KitchenConfig,
        make_handler: Callable[[], Handler],
        *,
        on_change: Callable[[], None] = lambda: None,
        on_status: Callable[[LinkStatus], None] = lambda s: None,
    ) -> None:
        self.config = config
        self._make_handler = make_handler
        self._on_change = on_change
        self._on_status = on_status
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handler: Handler | None = None
        self.status = LinkStatus(False, time.time(), None)
        self.applied = 0
        self.refused = 0
        self._settings: SessionSettings | None = None
        self._session: MqttSession | None = None

    @property
    def last_error(self) -> str | None:
        """Why the session last failed or dropped (a refused login says so); None if never."""
        return self._session.last_error if self._session is not None else None

    def session_settings(self) -> SessionSettings:
        """The session this config asks for; reads the password file now (ConfigError if not)."""
        cfg, b = self.config, self.config.broker
        offline = make_envelope("device.status", DeviceStatus(state="offline"),
                                site=cfg.site_id, device=cfg.device_id)
        return SessionSettings(
            # Not the agent's client id: the agent keeps its own session.
            client_id=f"{cfg.device_id}-kitchen", host=b.host, port=b.port,
            keepalive_s=b.keepalive_s, session_expiry_s=b.session_expiry_s,
            subscriptions=(uplink_filter(cfg.site_id),),
            will_topic=display_topic(cfg.site_id, cfg.device_id), will_payload=encode(offline),
            # Its own login, bound to its own client id by the broker (protocol.claim).
            username=kitchen_login(b.username) if b.username else None,
            password=b.password(), tls_ca_file=b.tls_ca_file,
            reconnect_min_s=b.reconnect_min_s, reconnect_max_s=b.reconnect_max_s,
            manual_ack=True,
        )

    def start(self) -> None:
        """Start the session thread; an unreadable password file raises ConfigError here."""
        self._settings = self.session_settings()
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="kitchen-link", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and disconnect (the broker keeps the session and queues for us)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self) -> None:
        """The session loop; returns after stop()."""
        settings = self._settings or self.session_settings()
        session = MqttSession(settings, on_message=self._on_message,
                              on_connected=self._connected)
        self._handler = self._make_handler()
        self._session = session
        try:
            while not self._stop.is_set():
                session.step(0.02)
        finally:
            session.close((settings.will_topic, settings.will_payload))
            self._handler.close()

    def _connected(self, up: bool) -> None:
        if up and self._session is not None:
            cfg = self.config
            online = make_envelope("device.status", DeviceStatus(state="online"),
                                   site=cfg.site_id, device=cfg.device_id)
            self._session.publish(display_topic(cfg.site_id, cfg.device_id), encode(online),
                                  qos=1, retain=True)
        self.status = LinkStatus(up, time.time(), self.status.last_message_at)
        self._on_status(self.status)

    def _on_message(self, topic: str, raw: bytes) -> None:
        self.status = LinkStatus(self.status.connected, self.status.since, time.time())
        try:
            env = parse(raw, topic=topic)
        except ProtocolError as err:
            self.refused += 1
            log.warning("refused a message on %s: %s", topic, err)
            return
        if env.type not in HANDLED_TYPES or self._handler is None:
            return
        if self._handler.apply_envelope(env):
            self.applied += 1
            self._on_change()
