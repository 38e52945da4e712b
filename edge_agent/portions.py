"""Portion counts on the site broker: what is left of each dish, known to every kiosk.

The agent of every device subscribes to the site's retained portion topics
(``protocol.topics.portions_filter``) and keeps them in the device store; it publishes
this device's own sold counts (retained, one message per device) whenever the kiosk
recorded an order. A kiosk reads what is left from its store: the kitchen's prepared
total minus what the other devices said they sold minus what this device sold (read
from its own orders, so its own sale counts at once). No hub takes part: with the hub
unreachable the site broker still carries the counts (docs/supply.md, "Sold-out").
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from pydantic import ValidationError

from edge_agent.config import AgentConfig, BrokerConfig
from edge_agent.outbox import write_txn
from protocol.codec import encode, parse
from protocol.envelope import Envelope, make_envelope
from protocol.errors import ProtocolError
from protocol.payloads.portions import PortionsPrepared, PortionsSold

log = logging.getLogger(__name__)

CHECK_EVERY_S = 0.2  # how often the agent looks for new local orders to publish
Key = tuple[str, str]  # (meal period, dish id)

def local_sold(conn: sqlite3.Connection, day: str) -> dict[Key, int]:
    """What this device sold on ``day`` (its business day), per meal period and dish."""
    rows = conn.execute(
        "SELECT json_extract(o.payload, '$.meal_period'), l.item_id, SUM(l.quantity)"
        " FROM order_lines l JOIN orders o ON o.order_id = l.order_id"
        " WHERE o.business_day = ? GROUP BY 1, 2", (day,))
    return {(str(p), str(d)): int(n) for p, d, n in rows}


def left(conn: sqlite3.Connection, *, device_id: str, day: str) -> dict[Key, int]:
    """Portions left per (meal period, dish) on ``day``; a dish the kitchen did not count
    is absent (not limited)."""
    prepared = {(str(p), str(d)): int(n) for p, d, n in conn.execute(
        "SELECT meal_period, dish_id, prepared FROM portion_prepared WHERE service_date = ?",
        (day,))}
    if not prepared:
        return {}
    sold = local_sold(conn, day)
    for (counts,) in conn.execute(
            "SELECT counts FROM portion_sold WHERE service_date = ? AND device_id != ?",
            (day, device_id)):
        for period, dishes in json.loads(counts).items():
            for dish, n in dishes.items():
                sold[(period, dish)] = sold.get((period, dish), 0) + int(n)
    return {k: n - sold.get(k, 0) for k, n in prepared.items()}


def sold_out(conn: sqlite3.Connection, *, device_id: str, day: str) -> frozenset[Key]:
    """(meal period, dish) pairs with nothing left on ``day``."""
    return frozenset(k for k, n in left(conn, device_id=device_id, day=day).items() if n <= 0)


def prepared_total(conn: sqlite3.Connection, *, day: str, meal_period: str,
                   dish_id: str) -> int:
    """The prepared total this device knows for a dish (0 when none), to add portions to."""
    row = conn.execute(
        "SELECT prepared FROM portion_prepared WHERE service_date = ? AND meal_period = ?"
        " AND dish_id = ?", (day, meal_period, dish_id)).fetchone()
    return int(row[0]) if row else 0


def prepared_message(*, site: str, device: str, day: str, meal_period: str, dish_id: str,
                     prepared: int, at: datetime | None = None) -> Envelope:
    """The retained ``portions.prepared`` a kitchen device (or the hub) publishes."""
    payload = PortionsPrepared(service_date=day, meal_period=meal_period, dish_id=dish_id,
                               prepared=prepared, at=at or datetime.now(UTC))
    return make_envelope("portions.prepared", payload, site=site, device=device)


def keep_prepared(conn: sqlite3.Connection, p: PortionsPrepared, *, unsent: bool) -> None:
    """Store a prepared total unless a newer one is known (a later day, or a later ``at`` the
    same day), inside the caller's transaction. ``unsent``: set on this device, to publish;
    a count from the broker clears it (our own echo, or a newer count from elsewhere)."""
    conn.execute(
        "INSERT INTO portion_prepared (meal_period, dish_id, service_date, prepared, at, unsent)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(meal_period, dish_id) DO UPDATE SET"
        " service_date = excluded.service_date, prepared = excluded.prepared,"
        " at = excluded.at, unsent = excluded.unsent"
        " WHERE excluded.service_date > portion_prepared.service_date"
        " OR (excluded.service_date = portion_prepared.service_date"
        " AND excluded.at >= portion_prepared.at)",
        (p.meal_period, p.dish_id, p.service_date, p.prepared, p.at.isoformat(), int(unsent)))


class PortionSync:
    """The agent's part: store the site's counts, publish this device's sold counts."""

    def __init__(self, conn: sqlite3.Connection, *, site_id: str, device_id: str,
                 ) -> None:
        self.conn = conn
        self.site_id = site_id
        self.device_id = device_id
        self._published: tuple[str, int] | None = None  # (day, order counter) last sent
        self._next_check = 0.0
        self._pending_mark: tuple[str, int] | None = None

    def handle(self, topic: str, raw: bytes) -> bool:
        """Store a portion message from the site broker; False (logged) when refused."""
        try:
            env = parse(raw, topic=topic)
            if env.site != self.site_id:
                raise ProtocolError(f"for site {env.site!r}, this device is on {self.site_id!r}")
        except ProtocolError as err:
            log.warning("portion message on %s refused: %s", topic[:200], err)
            return False
        with write_txn(self.conn):
            if isinstance(env.payload, PortionsPrepared):
                keep_prepared(self.conn, env.payload, unsent=False)
            elif isinstance(env.payload, PortionsSold):
                counts: dict[str, dict[str, int]] = {}
                for c in env.payload.counts:
                    counts.setdefault(c.meal_period, {})[c.dish_id] = c.sold
                self.conn.execute(
                    "INSERT INTO portion_sold (device_id, service_date, counts) VALUES (?, ?, ?)"
                    " ON CONFLICT(device_id) DO UPDATE SET service_date = excluded.service_date,"
                    " counts = excluded.counts"
                    " WHERE excluded.service_date >= portion_sold.service_date",
                    (env.device, env.payload.service_date, json.dumps(counts)))
            else:
                return False
        return True

    def connected(self) -> None:
        """After every (re)connect the counts go out again (the broker may be a new one)."""
        self._published = None
        self._next_check = 0.0

    def pending(self) -> Envelope | None:
        """This device's sold counts when they changed since last published, else None."""
        now = time.monotonic()
        if now < self._next_check:
            return None
        self._next_check = now + CHECK_EVERY_S
        # The day of this device's latest order: the kiosk's business clock numbers orders
        # (the demo moves it), so the agent's own clock may be on another day.
        row = self.conn.execute("SELECT business_day, last_no FROM order_counters"
                                " ORDER BY business_day DESC LIMIT 1").fetchone()
        if row is None:
            return None
        day = str(row[0])
        mark = (day, int(row[1]))
        if mark == self._published:
            return None
        counts = [{"meal_period": p, "dish_id": d, "sold": n}
                  for (p, d), n in sorted(local_sold(self.conn, day).items())]
        env = make_envelope("portions.sold", {"service_date": day, "counts": counts},
                            site=self.site_id, device=self.device_id)
        self._pending_mark = mark
        return env

    def sent(self) -> None:
        """The last ``pending`` message was handed to the broker."""
        self._published = self._pending_mark

    def unsent_prepared(self) -> list[Envelope]:
        """Prepared totals set on this device (its kitchen display) not yet published."""
        return [prepared_message(site=self.site_id, device=self.device_id, day=str(day),
                                 meal_period=str(period), dish_id=str(dish),
                                 prepared=int(n), at=datetime.fromisoformat(str(at)))
                for period, dish, day, n, at in self.conn.execute(
                    "SELECT meal_period, dish_id, service_date, prepared, at"
                    " FROM portion_prepared WHERE unsent = 1 ORDER BY meal_period, dish_id")]

    def prepared_sent(self, env: Envelope) -> None:
        """``env`` (from ``unsent_prepared``) was handed to the broker; a count set again
        meanwhile (a later ``at``) stays unsent."""
        p = env.payload_as(PortionsPrepared)
        with write_txn(self.conn):
            self.conn.execute(
                "UPDATE portion_prepared SET unsent = 0 WHERE meal_period = ? AND dish_id = ?"
                " AND at = ?", (p.meal_period, p.dish_id, p.at.isoformat()))


def publish_once(broker: BrokerConfig, env: Envelope, *, client_id: str,
                 timeout_s: float = 5.0) -> None:
    """Publish one retained portion message and wait for the broker's PUBACK (a kitchen
    display setting portions, or the hub); PublishFailed when the broker does not take it."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=MQTTProtocolVersion.MQTTv5)
    if broker.username:
        client.username_pw_set(broker.username, broker.password())
    if broker.tls_ca_file is not None:
        client.tls_set(ca_certs=str(broker.tls_ca_file))
    try:
        client.connect(broker.host, broker.port, keepalive=broker.keepalive_s)
    except OSError as err:
        raise PublishFailed(f"broker {broker.host}:{broker.port}: {err}") from err
    client.loop_start()
    try:
        info = client.publish(env.topic(), encode(env), qos=1, retain=True)
        info.wait_for_publish(timeout_s)
        if not info.is_published():
            raise PublishFailed(f"{env.type} not confirmed by the broker in {timeout_s}s")
    except (RuntimeError, ValueError) as err:
        raise PublishFailed(f"{env.type}: {err}") from err
    finally:
        client.disconnect()
        client.loop_stop()


class PublishFailed(RuntimeError):
    """The broker could not be reached or did not confirm a portion message."""


def set_prepared(config: AgentConfig, *, dish_id: str, meal_period: str, portions: int,
                 add: bool = False, day: str | None = None) -> int:
    """What a kitchen display does to set (or add to) a dish's portions: publish the new
    running total from this device; returns it. Adding reads the total this device's store
    knows (its agent keeps the site's counts)."""
    day = day or datetime.now(UTC).astimezone(ZoneInfo(config.timezone)).date().isoformat()
    total = portions
    if add:
        conn = sqlite3.connect(str(config.store_path))
        try:
            total += prepared_total(conn, day=day, meal_period=meal_period, dish_id=dish_id)
        except sqlite3.OperationalError:  # no store yet on this device: nothing to add to
            pass
        finally:
            conn.close()
    env = prepared_message(site=config.site_id, device=config.device_id, day=day,
                           meal_period=meal_period, dish_id=dish_id, prepared=total)
    publish_once(config.broker, env, client_id=f"{config.device_id}-portions")
    return total


def main(argv: list[str] | None = None) -> int:
    """``python -m edge_agent.portions --config agent.toml --dish D --period P --portions N
    [--add] [--day YYYY-MM-DD]``: the kitchen sets portions on the site broker (no hub)."""
    import argparse

    from edge_agent.config import load_config
    from edge_agent.errors import ConfigError

    p = argparse.ArgumentParser(prog="python -m edge_agent.portions", description=main.__doc__)
    p.add_argument("--config", type=Path, required=True, help="this device's agent TOML")
    p.add_argument("--dish", required=True, help="dish id as on the kiosks (its code)")
    p.add_argument("--period", required=True, help="meal period code (lunch)")
    p.add_argument("--portions", type=int, required=True, help="portions prepared (>= 0)")
    p.add_argument("--add", action="store_true", help="add to the total the site knows")
    p.add_argument("--day", default=None, help="business day (default: today at the site)")
    args = p.parse_args(argv)
    try:
        config = load_config(args.config)
        total = set_prepared(config, dish_id=args.dish, meal_period=args.period,
                             portions=args.portions, add=args.add, day=args.day)
    except (ConfigError, ProtocolError, PublishFailed, ValidationError) as err:
        print(f"portions not set: {err}", file=sys.stderr)
        return 1
    print(json.dumps({"dish": args.dish, "meal_period": args.period, "prepared": total}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
