"""``python -m hub.downlinks``: the hub's one downlink publisher (member deltas, catalogs).

A process of its own, not a thread of each ingest worker: there is exactly one per hub
however many workers share the uplink stream (two publishers would race on the member
cache's optimistic version and send every delta twice), and a member build (seconds at
100,000 members, docs/members.md) never stalls a worker's batches.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence

from pydantic import ValidationError

from hub.crypto import FieldCipher
from hub.db import make_engine
from hub.downlinks.catalog import publish_all_catalogs
from hub.downlinks.members import publish_all_member_deltas
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher, PublishFailed
from hub.migrate import NOT_MIGRATED, is_migrated
from hub.settings import Settings

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hub.downlinks", description=__doc__)
    p.add_argument("--members-every", type=float, default=30.0,
                   help="seconds between member-cache rounds")
    p.add_argument("--catalog-every", type=float, default=300.0,
                   help="seconds between catalog rounds (version bumps only on change)")
    p.add_argument("--once", action="store_true", help="one round of each, then exit")
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on a clean stop, 2 on a configuration error."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as err:
        print(f"hub.downlinks: invalid settings:\n{err}", file=sys.stderr)
        return 2
    engine = make_engine(settings)
    if not is_migrated(engine, schema=settings.db_schema):
        print(f"hub.downlinks: {NOT_MIGRATED}", file=sys.stderr)
        return 2
    cipher = FieldCipher.from_settings(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    next_members = next_catalog = 0.0
    try:
        with OneShotPublisher(BrokerTarget.from_settings(settings), timeout=30) as pub:
            log.info("downlink publisher connected to %s:%d", settings.mqtt_host,
                     settings.mqtt_port)
            while not stop.is_set():
                now = time.monotonic()
                try:
                    if now >= next_catalog:
                        publish_all_catalogs(engine, pub)
                        next_catalog = now + args.catalog_every
                    if now >= next_members:
                        publish_all_member_deltas(engine, cipher=cipher, publisher=pub)
                        next_members = now + args.members_every
                except PublishFailed as err:  # broker away: paho reconnects, try next round
                    log.warning("publish failed, retried next round: %s", err)
                except Exception:  # one bad round must not end the publisher
                    log.exception("downlink round failed")
                if args.once:
                    break
                stop.wait(min(1.0, args.members_every))
    except PublishFailed as err:
        print(f"hub.downlinks: {err}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0
