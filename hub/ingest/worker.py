"""The ingest worker process: shared subscription in, batch commit, event.ack out, then MQTT ack.

Order of effects per batch (why each step is where it is):
1. commit the batch (one transaction) -- nothing is acknowledged before it is durable;
2. publish one event.ack per device -- the device may delete its outbox rows now;
3. MQTT-ack the inbound PUBLISHes (manual_ack) -- until here a kill -9 makes the
   broker redeliver them, and the redelivered copies come back as "duplicate";
4. now and then (BatchWriter.flush_seen) write the devices' last_seen_at in a short
   transaction of its own -- kept out of the batch so no batch holds a device row that
   every other worker's batches also update (issue 20: that deadlocked). A kill -9 loses
   at most SEEN_FLUSH_S of last-seen, never an order.

Leaving the pool (docs/architecture.md, "Scaling the ingest workers"): Mosquitto keeps
routing a ``$share`` group's messages to a member whose session outlives its connection,
so a worker that stops must end its session, or its share of the uplinks waits for
nobody. stop() unsubscribes, finishes what the broker had already handed it, and
disconnects with a session expiry of 0. A worker that dies without stop() (kill -9,
power) keeps its session for ``session_expiry_s`` only: a restart within that time
resumes it (the broker redelivers what was unacknowledged); otherwise the broker drops
it, and the devices' outboxes re-send every event the hub never acknowledged.
"""

from __future__ import annotations

import gc
import logging
import queue
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.engine import Engine

from hub.ingest.classify import Inbound
from hub.ingest.db_errors import describe
from hub.ingest.writer import BatchWriter, Outcome
from protocol import Ack, EventAck, encode, make_envelope, uplink_filter
from protocol.payloads.ack import MAX_ACKS

log = logging.getLogger(__name__)

ACK_RESULTS = frozenset({"ok", "duplicate", "conflict", "rejected"})
DB_RETRY_MAX_S = 5.0
BROKER_REPLY_S = 5.0  # longest wait for UNSUBACK and for the DISCONNECT to go out


# Cyclic GC: a batch allocates ~100,000 short-lived objects (rows, models); with the
# default gen0 threshold (700) the collector runs hundreds of times per batch and walks
# the startup heap (SQLAlchemy, pydantic) in its older generations (issue 20 profile).
GC_THRESHOLDS = (50_000, 20, 50)


def tune_gc() -> None:
    """For a worker process: freeze the startup heap out of GC, collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@dataclass(frozen=True)
class WorkerSettings:
    """Broker, session and batching of one ingest worker."""

    host: str = "127.0.0.1"
    port: int = 1883
    worker_id: str = "1"
    share_group: str = "ingest"
    hub_id: str = "hub"
    max_batch: int = 500
    max_wait_ms: float = 5.0
    # How long the broker keeps a worker's session after a crash: a restart within it
    # resumes the session; after it the share goes back to the group. A clean stop
    # ends the session at once, whatever this says.
    session_expiry_s: int = 60
    # A stopping worker finishes what the broker already handed it: it waits this long
    # for one more message after its last batch, and at most drain_max_s in all.
    drain_quiet_ms: float = 500.0
    drain_max_s: float = 20.0
    receive_maximum: int = 1000
    keepalive_s: int = 30
    username: str | None = None
    password: str | None = None
    tls_ca_file: str | None = None

    @property
    def client_id(self) -> str:
        """Stable per worker, so a restart within session_expiry_s resumes its session."""
        return f"canteen-ingest-{self.worker_id}"

    @property
    def topic(self) -> str:
        """The shared subscription this worker takes its share from."""
        return uplink_filter(share_group=self.share_group)


class IngestWorker:
    """One MQTT client plus the batch loop; start() then run() (or run_in_thread()), stop()."""

    def __init__(
        self,
        engine: Engine,
        settings: WorkerSettings,
        *,
        on_connected: Callable[[IngestWorker], None] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.writer = BatchWriter(engine)
        self.on_connected = on_connected
        self._inbox: queue.Queue[Inbound] = queue.Queue()
        self._stop = threading.Event()
        self._leaving = threading.Event()  # set once stop() hands the share back
        self._unsubscribed = threading.Event()
        self._disconnected = threading.Event()
        self._thread: threading.Thread | None = None
        self.client: mqtt.Client | None = None
        self.batches = 0
        self.drained = 0  # messages finished after leaving the group

    # ---- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Connect (asynchronously; paho's thread reconnects forever) and subscribe on connect."""
        s = self.settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        if s.username:
            client.username_pw_set(s.username, s.password)
        if s.tls_ca_file:
            client.tls_set(ca_certs=s.tls_ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_unsubscribe = self._on_unsubscribe
        client.reconnect_delay_set(1, 5)
        client.max_inflight_messages_set(200)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = s.session_expiry_s
        props.ReceiveMaximum = s.receive_maximum
        client.connect_async(s.host, s.port, keepalive=s.keepalive_s, clean_start=False,
                             properties=props)
        client.loop_start()
        self.client = client

    def run(self) -> None:
        """Collect, write, acknowledge, until stop()."""
        while not self._stop.is_set():
            batch = self._collect()
            if batch:
                self._process(batch)

    def run_in_thread(self) -> None:
        """Run the loop in a background thread (tests, benchmarks)."""
        self._thread = threading.Thread(target=self.run, name="ingest", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Finish the current batch and leave the loop (safe from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        """Leave the pool without stranding a message: hand the share back, then end the session.

        1. stop the batch loop (the batch in hand is committed and acknowledged);
        2. unsubscribe, so the broker routes the group's new messages to the others;
        3. finish what the broker had already handed us (committed, acknowledged);
        4. DISCONNECT with session expiry 0: the broker forgets the session, and with it
           anything still queued for us, which the devices re-send (never acknowledged).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        client = self.client
        if client is None:
            return
        self._leaving.set()
        if client.is_connected():
            self._leave_group(client)
            self._drain()
        self.writer.flush_seen(force=True)
        self._end_session(client)
        self.client = None

    def _leave_group(self, client: mqtt.Client) -> None:
        self._unsubscribed.clear()
        rc, _mid = client.unsubscribe(self.settings.topic)
        if rc != mqtt.MQTT_ERR_SUCCESS or not self._unsubscribed.wait(BROKER_REPLY_S):
            log.warning("no UNSUBACK from the broker; ending the session anyway")

    def _drain(self) -> None:
        s = self.settings
        deadline = time.monotonic() + s.drain_max_s
        while time.monotonic() < deadline:
            batch = self._collect(first_wait_s=s.drain_quiet_ms / 1000)
            if not batch:
                break
            self._process(batch)
            self.drained += len(batch)
        log.info("left group %s: finished %d messages already handed to us",
                 s.share_group, self.drained)

    def _end_session(self, client: mqtt.Client) -> None:
        props = Properties(PacketTypes.DISCONNECT)
        props.SessionExpiryInterval = 0
        self._disconnected.clear()
        if client.disconnect(properties=props) == mqtt.MQTT_ERR_SUCCESS:
            # paho calls on_disconnect once the DISCONNECT is written; stopping its
            # thread earlier could drop the packet and leave the session behind.
            if self._disconnected.wait(BROKER_REPLY_S):
                log.info("session %s ended", self.settings.client_id)
            else:
                log.warning("DISCONNECT not confirmed written; the session expires in %ds",
                            self.settings.session_expiry_s)
        else:
            log.warning("not connected at stop; the broker drops the session in %ds",
                        self.settings.session_expiry_s)
        client.loop_stop()

    # ---- paho callbacks (network thread) -------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("broker refused the connection: %s", rc)
            return
        if self._leaving.is_set():
            return  # a reconnect while stopping must not rejoin the group
        sock = client.socket()
        if isinstance(sock, socket.socket):
            # paho leaves Nagle on: acks written right after a batch's PUBACKs would
            # wait for the broker's delayed ACK (~40 ms here, docs/performance.md).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        topic = self.settings.topic
        client.subscribe(topic, qos=1)
        log.info("connected as %s, subscribed to %s", self.settings.client_id, topic)
        if self.on_connected is not None:
            try:
                self.on_connected(self)
            except Exception:  # a failed catalog publish must not stop ingest
                log.exception("on_connected hook failed")

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if self._leaving.is_set():
            self._disconnected.set()
            return
        log.warning("disconnected from broker (%s); paho reconnects", rc)

    def _on_unsubscribe(self, _c: mqtt.Client, _u: Any, _mid: Any, rcs: Any, _p: Any) -> None:
        refused = [rc for rc in rcs if rc.is_failure]
        if refused:  # the DISCONNECT that follows still ends the session and its share
            log.warning("broker refused to unsubscribe: %s", refused)
        self._unsubscribed.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self._inbox.put(Inbound(msg.topic, bytes(msg.payload), msg.mid, msg.qos))

    # ---- the batch loop ------------------------------------------------------

    def _collect(self, first_wait_s: float = 0.2) -> list[Inbound]:
        try:
            batch = [self._inbox.get(timeout=first_wait_s)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.settings.max_wait_ms / 1000
        while len(batch) < self.settings.max_batch:
            try:
                batch.append(self._inbox.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _process(self, batch: list[Inbound]) -> None:
        started = time.perf_counter()
        delay = 0.2
        while True:
            try:
                outcomes = self.writer.write(batch)
                break
            except Exception as err:
                # The writer raises only what is not a message's fault (it dead-letters a
                # data error itself): the database is down or locked, or a bug. Keep the
                # batch unacknowledged and retry; if we are stopped meanwhile the broker
                # redelivers it to someone. A bug logs its traceback.
                log.error("batch of %d not committed (%s); retrying in %.1fs",
                          len(batch), describe(err), delay,
                          exc_info=not isinstance(err, sa.exc.DBAPIError))
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, DB_RETRY_MAX_S)
        self.publish_acks(outcomes)
        client = self.client
        if client is not None:
            for m in batch:
                if m.qos > 0:
                    client.ack(m.mid, m.qos)
        self.batches += 1
        self.writer.flush_seen()  # after the acks: a device's last-seen never delays them
        log.debug("batch of %d in %.1f ms", len(batch), (time.perf_counter() - started) * 1000)

    def publish_acks(self, outcomes: list[Outcome]) -> None:
        """One event.ack per device (split at protocol's MAX_ACKS) for the acknowledgeable ones."""
        per_device: dict[tuple[str, str], list[Ack]] = defaultdict(list)
        for o in outcomes:
            if o.result in ACK_RESULTS and o.message_id and o.site and o.device:
                per_device[(o.site, o.device)].append(
                    Ack(message_id=o.message_id, result=o.result,
                        reason=o.reason if o.result in ("conflict", "rejected") else None)
                )
        client = self.client
        if client is None:
            return
        for (site, device), acks in per_device.items():
            for start in range(0, len(acks), MAX_ACKS):
                env = make_envelope(
                    "event.ack", EventAck(acks=tuple(acks[start : start + MAX_ACKS])),
                    site=site, device=self.settings.hub_id,
                )
                client.publish(env.topic(to_device=device), encode(env), qos=1)
