"""``python -m hub.downlinks``: the hub's one downlink publisher (member deltas, catalogs,
the day's pre-bookings).

A process of its own, not a thread of each ingest worker: there is exactly one per hub
however many workers share the uplink stream (two publishers would race on the member
cache's optimistic version and send every delta twice), and a member build (seconds at
100,000 members, docs/members.md) never stalls a worker's batches.

Each site, and each kind of downlink of a site, is built and published on its own: a
site whose catalog cannot be built (or whose member build fails) is logged, recorded for
staff (``GET /api/v1/sync/downlinks``) and retried next round, while every other site's
catalog and member delta still go out. A catalog is published only when its version
moved since this process last sent it: the broker keeps the retained copy.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.engine import Engine

from hub.crypto import FieldCipher
from hub.db import make_engine
from hub.downlinks.bookings import BOOKINGS, BookingsPublisher
from hub.downlinks.catalog import Published, Publisher, active_site_codes, publish_catalog
from hub.downlinks.members import publish_member_delta
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher, PublishFailed
from hub.downlinks.status import CATALOG, MEMBERS, CatalogRefused, record_failure, record_sent
from hub.migrate import NOT_MIGRATED, is_migrated
from hub.settings import Settings

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hub.downlinks", description=__doc__)
    p.add_argument("--members-every", type=float, default=30.0,
                   help="seconds between member-cache rounds")
    p.add_argument("--catalog-every", type=float, default=300.0,
                   help="seconds between catalog rounds (sent only when a version moved)")
    p.add_argument("--bookings-every", type=float, default=15.0,
                   help="seconds between pre-booking rounds (sent only when they changed)")
    p.add_argument("--once", action="store_true", help="one round of each, then exit")
    p.add_argument("--log-level", default="INFO")
    return p


@dataclass
class Round:
    """What one round sent, and which site's downlink of which kind failed (and why)."""

    catalogs: list[Published] = field(default_factory=list)
    members: list[Published] = field(default_factory=list)
    bookings: list[Published] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # site, kind, reason


class DownlinkRounds:
    """The publisher's rounds: every site's catalog and member delta, each on its own."""

    def __init__(
        self, engine: Engine, *, cipher: FieldCipher, publisher: Publisher,
        catalog_every: float, members_every: float,
        clock: Callable[[], float] = time.monotonic, bookings_every: float = 15.0,
    ) -> None:
        self.engine, self.cipher, self.publisher = engine, cipher, publisher
        self.catalog_every, self.members_every, self.clock = catalog_every, members_every, clock
        self.bookings_every = bookings_every
        self.next_catalog = self.next_members = self.next_bookings = 0.0
        self.bookings = BookingsPublisher(engine, publisher)
        self.catalog_sent: dict[str, int] = {}  # site -> version this process published

    def run_round(self) -> Round:
        """One round; PublishFailed (the broker is away) ends it early, to be retried."""
        done = Round()
        now = self.clock()
        if now >= self.next_catalog or now >= self.next_members or now >= self.next_bookings:
            sites = active_site_codes(self.engine)
            if now >= self.next_catalog:
                for site in sites:
                    self._one(done, site, CATALOG, self._catalog)
                self.next_catalog = now + self.catalog_every
            if now >= self.next_members:
                for site in sites:
                    self._one(done, site, MEMBERS, self._members)
                self.next_members = now + self.members_every
            if now >= self.next_bookings:
                for site in sites:
                    self._one(done, site, BOOKINGS, self._bookings)
                self.next_bookings = now + self.bookings_every
        return done

    def _bookings(self, done: Round, site: str) -> None:
        sent = self.bookings.publish(site)
        if sent is not None:
            done.bookings.append(sent)

    def _catalog(self, done: Round, site: str) -> None:
        sent = publish_catalog(self.engine, site, self.publisher,
                               unless_version=self.catalog_sent.get(site))
        if sent is not None:
            self.catalog_sent[site] = sent.version
            done.catalogs.append(sent)

    def _members(self, done: Round, site: str) -> None:
        sent = publish_member_delta(self.engine, cipher=self.cipher, site_code=site,
                                    publisher=self.publisher)
        record_sent(self.engine, site_code=site, kind=MEMBERS)  # clears an earlier failure
        if sent is not None:
            done.members.append(sent)

    def _one(self, done: Round, site: str, kind: str,
             build: Callable[[Round, str], None]) -> None:
        try:
            build(done, site)
        except PublishFailed:
            raise
        except Exception as err:  # one site's bad data must never block another's
            log.warning("%s downlink of site %s failed, other sites go on: %s", kind, site,
                        err, exc_info=not isinstance(err, ValueError))
            done.failed.append((site, kind, str(err)))
            if not isinstance(err, CatalogRefused):  # that one is recorded with its problems
                record_failure(self.engine, site_code=site, kind=kind, error=str(err))


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
    try:
        with OneShotPublisher(BrokerTarget.from_settings(settings), timeout=30) as pub:
            log.info("downlink publisher connected to %s:%d", settings.mqtt_host,
                     settings.mqtt_port)
            rounds = DownlinkRounds(engine, cipher=cipher, publisher=pub,
                                    catalog_every=args.catalog_every,
                                    members_every=args.members_every,
                                    bookings_every=args.bookings_every)
            while not stop.is_set():
                try:
                    rounds.run_round()
                except PublishFailed as err:  # broker away: paho reconnects, try next round
                    log.warning("publish failed, retried next round: %s", err)
                except Exception:  # the database away: try again next round
                    log.exception("downlink round failed")
                if args.once:
                    break
                stop.wait(min(1.0, args.members_every, args.bookings_every))
    except PublishFailed as err:
        print(f"hub.downlinks: {err}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0
