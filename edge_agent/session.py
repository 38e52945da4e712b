"""A persistent MQTT v5 session that reconnects forever, driven step by step by its owner.

Lessons from paho-mqtt's issue tracker shape this module: an exception in a
callback kills paho's loop thread and publishes then vanish silently (#894),
and clients stop reconnecting after long outages (#785, #573, #733). So no
paho thread runs here: the owner calls ``step()`` from its own loop, every
callback is wrapped, connect failures are retried with capped exponential
backoff plus jitter, forever, and nothing is published while disconnected
(paho's queue lives in memory only; durability is the outbox's job).
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

log = logging.getLogger(__name__)

CONNACK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SessionSettings:
    """How to reach the broker and what the session looks like."""

    client_id: str
    host: str
    port: int
    keepalive_s: int
    session_expiry_s: int
    subscriptions: Sequence[str]
    will_topic: str
    will_payload: bytes
    username: str | None = None
    password: str | None = None
    tls_ca_file: Path | None = None
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    # Acknowledge a QoS 1 message only after on_message returned (its handler
    # committed); a handler that raises leaves it unacknowledged and the session
    # reconnects, so the broker delivers it again.
    manual_ack: bool = False


MessageHandler = Callable[[str, bytes], None]
ConnectHandler = Callable[[bool], None]


class MqttSession:
    """One paho client with a persistent session (clean_start=False, SessionExpiryInterval>0)."""

    def __init__(
        self,
        settings: SessionSettings,
        *,
        on_message: MessageHandler,
        on_connected: ConnectHandler,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._on_message_cb = on_message
        self._on_connected_cb = on_connected
        self._rng = rng or random.Random()
        self._client: mqtt.Client | None = None
        self._connected = False
        self._connecting_since: float | None = None
        self._failures = 0
        self._next_attempt = 0.0
        self.connects = 0
        self.last_error: str | None = None
        self._redeliver: str | None = None  # why a handler failed (manual_ack)

    @property
    def connected(self) -> bool:
        """True between a successful CONNACK and the next disconnect."""
        return self._connected

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=s.manual_ack,
        )
        # paho's own queue is unbounded by default; the agent never gives it more
        # than its in-flight window, and publishes nothing while offline.
        client.max_queued_messages_set(0)
        # paho keeps its default of 20 QoS 1 publishes in flight to the broker
        # (it cannot be changed once connected); what exceeds it waits in paho's
        # memory, bounded by the agent's window, which is the real flow control.
        client.will_set(s.will_topic, s.will_payload, qos=1, retain=True)
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls_ca_file is not None:
            client.tls_set(ca_certs=str(s.tls_ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        # We wrap our callbacks ourselves; this keeps paho from re-raising if
        # something slips through, which would stop the loop (#894).
        client.suppress_exceptions = True
        return client

    def _backoff(self) -> float:
        # Capped exponential backoff with jitter, so a site's kiosks do not all
        # hammer a restarted broker in the same instant.
        base = min(self.settings.reconnect_max_s, self.settings.reconnect_min_s * 2**self._failures)
        return base * self._rng.uniform(0.5, 1.0)

    def _schedule_retry(self, why: str) -> None:
        self._connected = False
        self._connecting_since = None
        delay = self._backoff()
        self._failures = min(self._failures + 1, 30)
        self._next_attempt = time.monotonic() + delay
        self.last_error = why
        log.warning("broker %s:%d: %s; retrying in %.1fs",
                    self.settings.host, self.settings.port, why, delay)

    def _try_connect(self) -> None:
        s = self.settings
        if self._client is None:
            self._client = self._make_client()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = s.session_expiry_s
        try:
            self._client.connect(
                s.host, s.port, keepalive=s.keepalive_s, clean_start=False, properties=props
            )
        except Exception as err:  # OSError, ssl errors, DNS: all mean "try again later"
            self._schedule_retry(f"connect failed: {err}")
            return
        self._connecting_since = time.monotonic()

    def step(self, timeout: float = 0.05) -> None:
        """Do one round of network work (connect, read, write, keepalive); never raises."""
        now = time.monotonic()
        if self._client is None or (not self._connected and self._connecting_since is None):
            if now >= self._next_attempt:
                self._try_connect()
            else:
                time.sleep(min(timeout, self._next_attempt - now))
            return
        try:
            rc = self._client.loop(timeout)
        except Exception as err:  # keep the agent alive whatever paho does
            log.exception("MQTT loop error")
            self._drop(f"loop error: {err}")
            return
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._drop(f"connection lost ({mqtt.error_string(rc)})")
            return
        if self._redeliver is not None:
            # Unacknowledged messages come again only on a new connection.
            why, self._redeliver = self._redeliver, None
            self._drop(why)
            return
        if (
            not self._connected
            and self._connecting_since is not None
            and now - self._connecting_since > CONNACK_TIMEOUT_S
        ):
            self._drop("no CONNACK in time")

    def _drop(self, why: str) -> None:
        was = self._connected
        if self._client is not None:
            try:
                self._client.disconnect()
            except Exception:  # the socket may already be gone
                log.debug("disconnect after %s failed", why, exc_info=True)
        self._schedule_retry(why)
        if was:
            self._notify(False)

    def publish(self, topic: str, body: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Hand a message to paho if connected; False (nothing queued) otherwise."""
        if not self._connected or self._client is None:
            return False
        info = self._client.publish(topic, body, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            log.warning("publish on %s not accepted: %s", topic, mqtt.error_string(info.rc))
            return False
        return True

    def resubscribe(self) -> bool:
        """Subscribe again (the broker re-sends retained downlinks: refresh_catalog)."""
        if self._client is None or not self._connected:
            return False
        opts = SubscribeOptions(qos=1)
        self._client.subscribe([(f, opts) for f in self.settings.subscriptions])
        return True

    def close(self, last_words: tuple[str, bytes] | None = None) -> None:
        """Publish last_words (topic, body; retained) if connected, then disconnect."""
        client = self._client
        if client is None:
            return
        if self._connected and last_words is not None:
            info = client.publish(last_words[0], last_words[1], qos=1, retain=True)
            deadline = time.monotonic() + 2.0
            while not info.is_published() and time.monotonic() < deadline:
                client.loop(0.05)
        try:
            client.disconnect()
            client.loop(0.1)
        except Exception:
            log.debug("disconnect at close failed", exc_info=True)
        self._connected = False
        self._client = None

    # ---- paho callbacks (run inside step(); each one wrapped) ---------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        try:
            if reason_code.is_failure:
                self._schedule_retry(f"broker refused the connection: {reason_code}")
                return
            self._connected = True
            self._connecting_since = None
            self._failures = 0
            self._redeliver = None
            self.connects += 1
            if not flags.session_present:
                log.info("broker has no session for %s (first start or expired)",
                         self.settings.client_id)
            # Subscribe here so every reconnect subscribes again.
            opts = SubscribeOptions(qos=1)
            client.subscribe([(f, opts) for f in self.settings.subscriptions])
            log.info("connected to %s:%d as %s", self.settings.host, self.settings.port,
                     self.settings.client_id)
            self._notify(True)
        except Exception:
            log.exception("error in on_connect")

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        try:
            if self._connected:
                self._schedule_retry(f"disconnected: {reason_code}")
                self._notify(False)
        except Exception:
            log.exception("error in on_disconnect")

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self._on_message_cb(msg.topic, bytes(msg.payload))
        except Exception as err:
            # A handler bug must not take the session down with it.
            log.exception("error handling a message on %s", msg.topic)
            if self.settings.manual_ack:
                self._redeliver = f"handler failed, not acknowledged: {err}"
            return
        if self.settings.manual_ack and self._redeliver is None:
            # After a failure nothing more is acknowledged on this connection: the
            # broker redelivers in order once we reconnect.
            client.ack(msg.mid, msg.qos)

    def _notify(self, up: bool) -> None:
        try:
            self._on_connected_cb(up)
        except Exception:
            log.exception("error in connection handler")
