"""The edge agent: drains the outbox to the hub, applies acks and downlinks, sends heartbeats."""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from edge_agent import db
from edge_agent.commands import CommandRunner, LogRing, Outcome
from edge_agent.config import AgentConfig
from edge_agent.downlinks import DownlinkApplier
from edge_agent.errors import DownlinkRefused
from edge_agent.model_store import MODEL_KIND, ModelStore, model_dir, read_active
from edge_agent.outbox import Outbox, write_txn
from edge_agent.portions import PortionSync
from edge_agent.session import MqttSession, SessionSettings
from edge_agent.store import write_agent_link
from protocol.codec import encode, parse
from protocol.envelope import make_envelope
from protocol.errors import ProtocolError
from protocol.payloads.ack import EventAck
from protocol.payloads.command import DeviceCommand
from protocol.payloads.config import DeviceConfig
from protocol.payloads.device import DeviceHeartbeat, DeviceStatus
from protocol.registry import spec_for
from protocol.topics import Direction, device_downlink_filters, parse_topic, portions_filter

log = logging.getLogger(__name__)

APP_VERSION = "canteen-edge 0.1.0"
LINK_REFRESH_MAX_S = 5.0  # the kiosk calls the link stale after its stale_after_s
ACK_KIND = spec_for("event.ack").kind
COMMAND_KIND = spec_for("device.command").kind
# Downlinks held back while a diner is mid-order, applied when the kiosk is idle again.
UPDATE_KINDS = frozenset({"config", "catalog", "model"})
BUSY_STALE_S = 600.0  # a "busy" older than this is a kiosk that died mid-order: not busy
THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")
EXIT_RESTART = 75  # the CLI's exit code after restart_app: systemd Restart= starts it again


class Agent:
    """One device's store-and-forward loop; start()/stop(), or run() in the calling thread."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inflight: dict[str, float] = {}  # message id -> monotonic deadline
        self._started_at = time.monotonic()
        self._next_heartbeat = 0.0
        self._heartbeat_interval = config.heartbeat_interval_s
        self._next_link_refresh = 0.0
        self.published = 0
        self.restart_requested = False
        self.log_ring = LogRing()
        self._deferred: dict[str, tuple[str, bytes]] = {}  # kind -> newest held-back downlink
        self._next_poll = 0.0

    # ---- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Run the agent in a background thread."""
        if self._thread is not None:
            raise RuntimeError("agent already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="edge-agent", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the loop to finish at its next round (safe from a signal handler)."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to finish (status offline, disconnect) and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self) -> None:
        """The agent loop; returns after stop() (or SIGTERM handled by the CLI)."""
        cfg = self.config
        # NORMAL is enough here: a delete lost to a power cut only means one
        # re-send, which the hub acknowledges as a duplicate (bench/edge_store.py).
        conn = db.connect(cfg.store_path, synchronous="NORMAL")
        outbox = Outbox(
            conn,
            ack_timeout=cfg.outbox.ack_timeout_s,
            max_retry_interval=cfg.outbox.max_retry_interval_s,
        )
        applier = DownlinkApplier(conn, site_id=cfg.site_id)
        self.models = ModelStore(conn, model_dir(cfg.store_path), site_id=cfg.site_id)
        # Whatever was in flight before a restart is lost with paho's memory.
        made_due = outbox.make_all_due()
        if made_due:
            log.info("%d unacknowledged events due again after start", made_due)
        status = make_envelope(
            "device.status", DeviceStatus(state="offline", app_version=APP_VERSION),
            site=cfg.site_id, device=cfg.device_id,
        )
        settings = SessionSettings(
            client_id=cfg.device_id,
            host=cfg.broker.host,
            port=cfg.broker.port,
            keepalive_s=cfg.broker.keepalive_s,
            session_expiry_s=cfg.broker.session_expiry_s,
            # and the site's portion counts (sold-out kiosk to kiosk, edge_agent.portions)
            subscriptions=(*device_downlink_filters(cfg.site_id, cfg.device_id),
                           portions_filter(cfg.site_id)),
            will_topic=status.topic(),
            will_payload=encode(status),
            username=cfg.broker.username,
            password=cfg.broker.password(),
            tls_ca_file=cfg.broker.tls_ca_file,
            reconnect_min_s=cfg.broker.reconnect_min_s,
            reconnect_max_s=cfg.broker.reconnect_max_s,
        )
        self.outbox, self.applier = outbox, applier
        self.commands = CommandRunner(conn, site_id=cfg.site_id, device_id=cfg.device_id,
                                      handlers=self._command_handlers())
        logging.getLogger().addHandler(self.log_ring)
        self.portions = PortionSync(conn, site_id=cfg.site_id, device_id=cfg.device_id)
        self.session = MqttSession(
            settings, on_message=self._on_message, on_connected=self._on_connected
        )
        self._apply_device_config()
        self._write_link(False)  # running, not connected yet
        try:
            while not self._stop.is_set():
                try:
                    self.session.step(0.02)
                    self._maybe_refresh_link()
                    self._maybe_poll()
                    if self.session.connected:
                        self._pump()
                        self._maybe_heartbeat()
                        self._publish_portions()
                except Exception:
                    # The loop must outlive any bug in one round (#894).
                    log.exception("agent loop error; continuing")
                    time.sleep(0.5)
        finally:
            offline = make_envelope(
                "device.status", DeviceStatus(state="offline", app_version=APP_VERSION),
                site=cfg.site_id, device=cfg.device_id,
            )
            self.session.close((offline.topic(), encode(offline)))
            logging.getLogger().removeHandler(self.log_ring)
            try:
                self._write_link(False)
            except Exception:
                log.exception("could not record the link as down at stop")
            conn.close()

    # ---- outbox ------------------------------------------------------------

    def _pump(self) -> None:
        """Publish due rows, oldest first, while the in-flight window has room."""
        now = time.monotonic()
        expired = [mid for mid, deadline in self._inflight.items() if deadline <= now]
        for mid in expired:
            del self._inflight[mid]
        room = self.config.outbox.window - len(self._inflight)
        if room <= 0:
            return
        rows = self.outbox.due(room, exclude=self._inflight)
        if not rows:
            return
        sent = []
        deadline = now + self.config.outbox.ack_timeout_s
        for row in rows:
            if not self.session.publish(row.topic, row.body, qos=1):
                break
            self._inflight[row.message_id] = deadline
            sent.append(row.message_id)
        self.outbox.mark_sent(sent)
        self.published += len(sent)

    # ---- link status for the kiosk (device store meta) ---------------------

    def _write_link(self, connected: bool | None) -> None:
        """Tell the kiosk (store meta) whether the broker link is up; None only refreshes."""
        write_agent_link(self.outbox.conn, connected=connected, now=time.time())
        self._next_link_refresh = time.monotonic() + min(self._heartbeat_interval,
                                                          LINK_REFRESH_MAX_S)

    def _maybe_refresh_link(self) -> None:
        if time.monotonic() >= self._next_link_refresh:
            self._write_link(None)

    def _on_connected(self, up: bool) -> None:
        self._write_link(up)
        if not up:
            return
        cfg = self.config
        online = make_envelope(
            "device.status", DeviceStatus(state="online", app_version=APP_VERSION),
            site=cfg.site_id, device=cfg.device_id,
        )
        self.session.publish(online.topic(), encode(online), qos=1, retain=True)
        self._next_heartbeat = 0.0  # report right away after every (re)connect
        self.portions.connected()

    def _on_message(self, topic: str, raw: bytes) -> None:
        try:
            info = parse_topic(topic)
        except ProtocolError as err:
            log.warning("message on unexpected topic %r: %s", topic, err)
            return
        if info.direction is Direction.KITCHEN:
            self.portions.handle(topic, raw)
            return
        kind = info.kind
        if kind == ACK_KIND:
            self._on_ack(topic, raw)
            return
        if kind == MODEL_KIND:  # a file, verified and smoke-tested apart from the rows
            # refusals are counted and logged by the model store; the last good one stays
            with contextlib.suppress(DownlinkRefused):
                self.models.handle(topic, raw)
            return
        if kind == COMMAND_KIND:
            self.commands.handle(topic, raw)
            return
        if kind in UPDATE_KINDS and self.kiosk_busy():
            # Never change the menu or the settings under a diner's order: keep the newest
            # and apply it once the kiosk is back at idle (retained ones come back anyway).
            self._deferred[kind or ""] = (topic, raw)
            log.info("%s downlink held until the kiosk is idle", kind)
            return
        self._apply_downlink(kind, topic, raw)

    def _apply_downlink(self, kind: str | None, topic: str, raw: bytes) -> None:
        try:
            applied = self.applier.handle(topic, raw) == "applied"
            if applied and kind == "config":
                self._apply_device_config()
            if applied and kind in UPDATE_KINDS:
                self._next_heartbeat = 0.0  # report the new version at once (rollouts wait)
        except DownlinkRefused:
            pass  # counted and logged by the applier; the last good one stays

    def _on_ack(self, topic: str, raw: bytes) -> None:
        try:
            env = parse(raw, topic=topic)
            acks = env.payload_as(EventAck).acks
        except ProtocolError as err:
            log.warning("bad ack refused: %s", err)
            with write_txn(self.outbox.conn):
                db.bump_counter(self.outbox.conn, "refused.ack")
            return
        outcome = self.outbox.apply_acks((a.message_id, a.result, a.reason) for a in acks)
        for a in acks:
            self._inflight.pop(a.message_id, None)
        log.debug("ack: %s", outcome)

    def _publish_portions(self) -> None:
        """This device's sold counts, retained on the site broker, when they changed; and
        the prepared totals its kitchen display recorded."""
        env = self.portions.pending()
        if env is not None and self.session.publish(env.topic(), encode(env), qos=1,
                                                    retain=True):
            self.portions.sent()
        for prepared in self.portions.unsent_prepared():
            if not self.session.publish(prepared.topic(), encode(prepared), qos=1,
                                        retain=True):
                return
            self.portions.prepared_sent(prepared)

    # ---- remote commands, updates held until idle ---------------------------

    def kiosk_busy(self) -> bool:
        """Whether the kiosk app says a diner is mid-order (meta hw.session = busy@<epoch>)."""
        row = self.outbox.conn.execute(
            "SELECT value FROM meta WHERE key = 'hw.session'").fetchone()
        if row is None or not str(row[0]).startswith("busy"):
            return False
        try:
            since = float(str(row[0]).partition("@")[2])
        except ValueError:
            return True
        return time.time() - since < BUSY_STALE_S

    def _maybe_poll(self) -> None:
        now = time.monotonic()
        if now < self._next_poll:
            return
        self._next_poll = now + 0.25
        self.commands.poll()
        if self._deferred and not self.kiosk_busy():
            held, self._deferred = self._deferred, {}
            for kind, (topic, raw) in held.items():
                log.info("kiosk idle: applying the held %s downlink", kind)
                self._apply_downlink(kind, topic, raw)

    def _command_handlers(self) -> dict[str, Callable[[DeviceCommand], Outcome]]:
        return {
            "restart_app": self._cmd_restart,
            "refresh_catalog": self._cmd_refresh_catalog,
            "upload_logs": self._cmd_upload_logs,
        }

    def _cmd_restart(self, cmd: DeviceCommand) -> Outcome:
        # The answer is in the outbox before the stop; it goes out after the restart.
        self.restart_requested = True
        self._stop.set()
        return Outcome("ok", "restarting")

    def _cmd_refresh_catalog(self, cmd: DeviceCommand) -> Outcome:
        version = self.outbox.conn.execute(
            "SELECT version FROM downlink_state WHERE kind = 'catalog'").fetchone()
        if not self.session.resubscribe():
            return Outcome("failed", "not connected to the broker")
        have = "none" if version is None else f"v{version[0]}"
        return Outcome("ok", f"catalog asked for again (had {have})")

    def _cmd_upload_logs(self, cmd: DeviceCommand) -> Outcome:
        text = self.log_ring.tail()
        return Outcome("ok", f"{len(self.log_ring.lines)} log lines kept, "
                             f"{len(text.encode())} bytes sent", text)

    # ---- heartbeat and config ---------------------------------------------

    def _apply_device_config(self) -> None:
        row = self.outbox.conn.execute(
            "SELECT payload FROM downlink_state WHERE kind = 'config'"
        ).fetchone()
        if row is None:
            return
        pushed = DeviceConfig.model_validate_json(row[0])
        self._heartbeat_interval = float(pushed.heartbeat_interval_s)

    def heartbeat(self) -> DeviceHeartbeat:
        """The heartbeat this device would send now."""
        conn = self.outbox.conn
        stats = self.outbox.stats()
        versions = {str(k): int(v) for k, v in conn.execute(
            "SELECT kind, version FROM downlink_state")}
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        counters = db.read_counters(conn)
        refused = sum(v for k, v in counters.items() if k.startswith("refused."))
        hardware = {k[3:]: str(v)[:200] for k, v in meta.items() if k.startswith("hw.")}
        # Stopgap until protocol's heartbeat has fields for them (see the issue 4 report):
        # dead letters, downlink refusals and the member cache version ride in `hardware`.
        hardware["agent_dead_letters"] = str(stats.dead_letters)
        hardware["agent_downlinks_refused"] = str(refused)
        hardware["agent_member_cache_version"] = str(versions.get("members", 0))
        last_sync = meta.get("last_sync_at")
        oldest = (
            None if stats.oldest_created_at is None
            else max(0, int(time.time() - stats.oldest_created_at))
        )
        disk = shutil.disk_usage(self.config.store_path.parent)
        return DeviceHeartbeat(
            queue_depth=stats.depth,
            oldest_unsent_age_s=oldest,
            last_sync_at=datetime.fromtimestamp(float(last_sync), UTC) if last_sync else None,
            catalog_version=versions.get("catalog"),
            model_version=self._model_version(),
            config_version=versions.get("config"),
            disk_free_mb=disk.free // (1024 * 1024),
            hardware=hardware,
            uptime_s=int(time.monotonic() - self._started_at),
            app_version=APP_VERSION,
            # Schema 1.1 health fields (issue 16), from what the kiosk records in hw.*.
            printer=printer_state(meta.get("hw.printer")),
            scale_present=present(meta.get("hw.scale")),
            card_reader_present=present(meta.get("hw.card_reader")),
            cpu_temp_c=cpu_temperature(),
            disk_total_mb=disk.total // (1024 * 1024),
            dead_letters=stats.dead_letters,
            in_use=self.kiosk_busy(),
            pending_update=next(iter(sorted(self._deferred)), None),
        )

    def _model_version(self) -> str | None:
        """The switched-in recommender's version, else the configured one (older devices)."""
        active = read_active(self.outbox.conn)
        return str(active.version) if active is not None else self.config.model_version

    def _maybe_heartbeat(self) -> None:
        now = time.monotonic()
        if now < self._next_heartbeat:
            return
        self._next_heartbeat = now + self._heartbeat_interval
        env = make_envelope(
            "device.heartbeat", self.heartbeat(),
            site=self.config.site_id, device=self.config.device_id,
        )
        # Heartbeats are not queued in the outbox: a stale one is worth nothing.
        self.session.publish(env.topic(), encode(env), qos=1)


def printer_state(raw: str | None) -> str | None:
    """The heartbeat's printer state from the kiosk's hw.printer (faults comma-joined)."""
    if raw is None:
        return None
    faults = [f.strip() for f in raw.split(",") if f.strip()]
    for known in ("paper_out", "cover_open", "offline", "paper_near_end", "ok", "absent"):
        if known in faults:
            return known
    if not faults:
        return "ok"
    if any(f in ("disconnected", "no_response") for f in faults):
        return "offline"
    return "error"


def present(raw: str | None) -> bool | None:
    """Whether a device the kiosk reports on (hw.scale, hw.card_reader) is there."""
    if raw is None:
        return None
    return raw not in ("absent", "disconnected", "offline", "no_response")


def cpu_temperature(zone: Path = THERMAL_ZONE) -> float | None:
    """The CPU temperature in °C where the kernel exposes one (a Pi does), else None."""
    try:
        value = int(zone.read_text(encoding="ascii").strip()) / 1000.0
    except (OSError, ValueError):
        return None
    return value if -40.0 <= value <= 150.0 else None
