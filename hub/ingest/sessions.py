"""End the broker session of an ingest worker that is gone, so its share returns to the group.

A worker stopped cleanly ends its own session (hub.ingest.worker); one that crashed
loses it after its session expiry. A session left behind otherwise (a worker id retired
while running an older release, whose sessions lasted 7 days) keeps taking its share of
the uplinks until it expires. Connecting once under that client id with a clean start
and a session expiry of 0 makes the broker discard it, and what it held, at once; the
devices re-send whatever it held, since the hub never acknowledged it.
"""

from __future__ import annotations

import logging
import ssl
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.ingest.worker import BROKER_REPLY_S, WorkerSettings

log = logging.getLogger(__name__)


class SessionNotEnded(Exception):
    """The broker could not be reached or refused the login."""


def end_session(settings: WorkerSettings, *, timeout_s: float = BROKER_REPLY_S) -> None:
    """Discard the broker session of worker ``settings.worker_id``; SessionNotEnded if not.

    Only for a worker that is not running: a running one would be disconnected by the
    takeover, reconnect with a fresh session and lose what it had in flight.
    """
    s = settings
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=s.client_id,
                         protocol=MQTTProtocolVersion.MQTTv5)
    if s.username:
        client.username_pw_set(s.username, s.password)
    if s.tls_ca_file:
        client.tls_set(ca_certs=s.tls_ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    answered = threading.Event()
    gone = threading.Event()
    outcome: list[Any] = []

    def on_connect(_c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        outcome.append(rc)
        answered.set()

    client.on_connect = on_connect
    client.on_disconnect = lambda *_a: gone.set()
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    try:
        client.connect(s.host, s.port, keepalive=s.keepalive_s, clean_start=True,
                       properties=props)
    except OSError as err:
        raise SessionNotEnded(f"broker {s.host}:{s.port} unreachable: {err}") from err
    client.loop_start()
    try:
        if not answered.wait(timeout_s):
            raise SessionNotEnded(f"no CONNACK from {s.host}:{s.port}")
        if outcome[0].is_failure:
            raise SessionNotEnded(f"broker refused {s.client_id}: {outcome[0]}")
        # The clean start has already discarded the old session; leave without a new one.
        client.disconnect()
        gone.wait(timeout_s)
    finally:
        client.loop_stop()
    log.info("session %s ended; its share of group %s returns to the others",
             s.client_id, s.share_group)
