"""``canteen-ingest`` / ``python -m hub.ingest``: run one ingest worker until SIGTERM.

SIGTERM or SIGINT: finish the batch in hand, leave the shared subscription, finish what
the broker had already handed over, and end the MQTT session (see hub.ingest.worker).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from hub.db import make_engine
from hub.downlinks.catalog import publish_all_catalogs
from hub.ingest.sessions import SessionNotEnded, end_session
from hub.ingest.worker import IngestWorker, WorkerSettings, tune_gc
from hub.migrate import NOT_MIGRATED, is_migrated, upgrade_to_head
from hub.settings import Settings

log = logging.getLogger(__name__)


def _seconds(text: str) -> int:
    """A whole number of seconds, 0 to 2^32 - 1 (MQTT's session expiry interval)."""
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from err
    if not 0 <= value <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"must be 0 to 4294967295 seconds (got {value})")
    return value


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="canteen-ingest", description=__doc__)
    # The broker comes from hub Settings (CANTEEN_MQTT_*); these flags override it.
    p.add_argument("--mqtt-host", default=None, help="default CANTEEN_MQTT_HOST")
    p.add_argument("--mqtt-port", type=int, default=None, help="default CANTEEN_MQTT_PORT")
    p.add_argument("--mqtt-username", default=None, help="default CANTEEN_MQTT_USERNAME")
    p.add_argument("--mqtt-password-file", default=None,
                   help="default CANTEEN_MQTT_PASSWORD_FILE")
    p.add_argument("--worker-id", default=env("CANTEEN_INGEST_WORKER_ID", socket.gethostname()),
                   help="stable id of this worker: its MQTT client id and session")
    p.add_argument("--session-expiry-s", type=_seconds,
                   default=env("CANTEEN_INGEST_SESSION_EXPIRY_S", "60"),
                   help="how long the broker keeps a crashed worker's session (and its share"
                        " of the stream); a clean stop ends the session at once")
    p.add_argument("--group", default=env("CANTEEN_INGEST_GROUP", "ingest"),
                   help="shared-subscription group the workers split the stream in")
    p.add_argument("--max-batch", type=int, default=500, help="most messages per transaction")
    p.add_argument("--max-wait-ms", type=float, default=5.0,
                   help="longest a message waits for its batch to fill")
    p.add_argument("--no-catalog", action="store_true",
                   help="do not publish the sites' catalogs when connected")
    p.add_argument("--end-session", action="store_true",
                   help="do not run: end the broker session of --worker-id, a worker that is"
                        " gone, so its share of the stream returns to the others")
    p.add_argument("--log-level", default=env("CANTEEN_LOG_LEVEL", "INFO"))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on a clean stop, 2 on a configuration error (1: session not ended)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as err:
        print(f"canteen-ingest: invalid settings:\n{err}", file=sys.stderr)
        return 2
    password_file = args.mqtt_password_file or settings.mqtt_password_file
    password = None
    if password_file:
        try:
            with open(password_file, encoding="utf-8") as fh:
                password = fh.read().strip()
        except OSError as err:
            print(f"canteen-ingest: mqtt password file: {err}", file=sys.stderr)
            return 2
    wsettings = WorkerSettings(
        host=args.mqtt_host or settings.mqtt_host, port=args.mqtt_port or settings.mqtt_port,
        worker_id=args.worker_id, share_group=args.group, max_batch=args.max_batch,
        max_wait_ms=args.max_wait_ms, session_expiry_s=args.session_expiry_s,
        username=args.mqtt_username or settings.mqtt_username,
        password=password,
        tls_ca_file=str(settings.mqtt_tls_ca_file) if settings.mqtt_tls_ca_file else None,
    )
    if args.end_session:
        try:
            end_session(wsettings)
        except SessionNotEnded as err:
            print(f"canteen-ingest: {err}", file=sys.stderr)
            return 1
        return 0
    engine = make_engine(settings)
    if settings.auto_migrate:
        upgrade_to_head(engine, schema=settings.db_schema)
    elif not is_migrated(engine, schema=settings.db_schema):
        print(f"canteen-ingest: {NOT_MIGRATED}", file=sys.stderr)
        return 2

    def _catalogs(worker: IngestWorker) -> None:
        if worker.client is not None:
            publish_all_catalogs(engine, worker.client)

    worker = IngestWorker(engine, wsettings, on_connected=None if args.no_catalog else _catalogs)

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping after this batch, then leaving the group", signum)
        worker.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    tune_gc()
    worker.start()
    try:
        worker.run()
    finally:
        worker.stop()
        log.info("stopped; outcomes: %s", dict(worker.writer.counts))
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
