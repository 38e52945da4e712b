"""`canteen-demo`: start a whole demo site, keep it running, stop all of it on Ctrl-C.

The site: a private Mosquitto on a free port, the hub on an SQLite file with seeded data,
the hub's ingest worker and downlink publisher, and the first seeded canteen's devices (two
kiosks driven by scripted diners, a kitchen display with a scripted cook, a pickup board,
each with its own edge agent, a receipt printer simulator), plus a kiosk window when a
display is available. Everything runs as child processes of this one, supervised like
systemd units (`demo.supervisor`): a child that dies is restarted with a growing delay, and
given up (loudly, the rest keeps running) if it keeps dying. SIGINT or SIGTERM stops every
one of them.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path

from demo.broker import BrokerError, PrivateBroker
from demo.counter import CounterLine, LiveCounter
from demo.devices import Started, start_devices
from demo.processes import (
    ChildFailed,
    ProcessGroup,
    die_with_parent,
    stop_on_signals,
    wait_http_ok,
)
from demo.provision import ProvisionError, provision
from demo.site import demo_site
from demo.supervisor import Stopped, Supervisor, Unit
from hub.downlinks.mqtt import BrokerTarget

log = logging.getLogger("canteen-demo")

DEMO_LOGIN = ("admin", "canteen-demo")
DEFAULT_HUB_PORT = 8000


class HubPortError(RuntimeError):
    """The hub's port could not be bound."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="canteen-demo", description=__doc__)
    p.add_argument("--data-dir", type=Path, default=Path("var/demo"),
                   help="where the demo keeps its database, broker files and logs")
    p.add_argument("--host", default="127.0.0.1", help="address the hub listens on")
    p.add_argument("--port", type=int, default=0,
                   help="hub port (0: 8000, or a free one when 8000 is in use)")
    p.add_argument("--seed", type=int, default=42, help="seed for the generated canteen")
    p.add_argument("--fresh", action="store_true", help="delete the demo data first")
    p.add_argument("--no-devices", action="store_true",
                   help="start only the broker and the hub (no ingest, kiosks or kitchen)")
    p.add_argument("--rate", type=float, default=0.4,
                   help="orders per second over all simulated kiosks (default 0.4)")
    p.add_argument("--no-windows", action="store_true",
                   help="no kiosk or pickup windows even when $DISPLAY is set")
    p.add_argument("--counter-every", type=float, default=10.0,
                   help="seconds between live counter lines")
    return p.parse_args(argv)


def hub_socket(host: str, wanted: int) -> socket.socket:
    """The hub's listening socket, bound here and handed to every run of the hub (`--fd`).

    SO_REUSEADDR lets a quick restart of the demo take its port again while connections of
    the last run sit in TIME_WAIT; holding the socket here keeps the port across restarts
    of the hub. ``wanted`` 0 means 8000, or a free port when something listens on 8000.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    ports = [wanted] if wanted else [DEFAULT_HUB_PORT, 0]
    for port in ports:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(1024)
        except OSError as err:
            sock.close()
            if port == ports[-1]:
                raise HubPortError(f"the hub cannot listen on {host}:{port}: {err}") from err
            log.warning("port %d is in use (%s); the hub takes a free port", port, err.strerror)
            continue
        return sock
    raise HubPortError("no port to try")  # unreachable: ports is never empty


def hub_env(data_dir: Path, broker: PrivateBroker) -> dict[str, str]:
    """Environment for every hub process of the demo."""
    env = dict(os.environ)
    env.update({
        "CANTEEN_DEMO_MODE": "true",
        "CANTEEN_DATA_DIR": str(data_dir / "hub"),
        "CANTEEN_DATABASE_URL": f"sqlite:///{data_dir / 'hub' / 'hub.sqlite3'}",
        "CANTEEN_MQTT_HOST": broker.host,
        "CANTEEN_MQTT_PORT": str(broker.port),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def start_site(args: argparse.Namespace, sup: Supervisor, sock: socket.socket,
               broker: PrivateBroker, data_dir: Path) -> tuple[str, Started | None]:
    """Migrate, seed, serve the hub; then ingest, provisioning and the devices."""
    group = sup.group
    log.info("migrating and seeding the hub database")
    group.run("hub-migrate", ["-m", "hub.cli", "migrate"])
    sup.checkpoint()
    group.run("hub-seed", ["-m", "hub.cli", "seed", "--seed", str(args.seed)])
    sup.checkpoint()
    fd = sock.fileno()
    group.start("hub", ["-m", "hub.cli", "serve", "--fd", str(fd)], pass_fds=(fd,))
    port = sock.getsockname()[1]
    base = f"http://{args.host}:{port}"

    def hub_alive() -> None:
        sup.checkpoint()
        sup.require("hub", "mosquitto")

    wait_http_ok(f"{base}/healthz", timeout=120, check=hub_alive)
    if args.no_devices:
        return base, None
    group.start("hub-ingest", ["-m", "hub.ingest", "--worker-id", "demo-ingest"])
    group.start("hub-downlinks", ["-m", "hub.downlinks", "--members-every", "10"])
    # Presence, commands, rollouts and alerts for the fleet pages (docs/fleet.md).
    group.start("hub-fleet", ["-m", "hub.fleet.monitor", "--tick", "2"])
    log.info("provisioning the devices through the hub API")
    site = demo_site()
    prov = provision(base, DEMO_LOGIN, site.code, "XH", BrokerTarget(broker.host, broker.port))
    sup.checkpoint()
    # The recommender: trained from the site's history (a plausible one written on the first
    # start), published to the kiosks before they start (retained per device).
    group.run("hub-recommend", ["-m", "hub.cli", "recommend", "train", "--site", site.code,
                                "--seed-history", "--publish", "--quiet"])
    sup.checkpoint()
    # CRM personas after the general history (which they stay out of): every shipped tag
    # rule tags someone, then a full refresh tags and scores everyone (docs/crm.md).
    group.run("hub-crm", ["-m", "hub.cli", "crm", "demo-history", "--site", site.code])
    sup.checkpoint()
    windows = bool(os.environ.get("DISPLAY")) and not args.no_windows
    started = start_devices(group, data_dir, broker.port, prov, rate=args.rate, windows=windows)
    return base, started


def _supervisor_log(path: Path) -> logging.Handler:
    """Restarts and give-ups also go to logs/supervisor.log."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("demo.supervisor").addHandler(handler)
    return handler


def run(args: argparse.Namespace) -> int:
    """Start the site, print where to look, heal children until a signal, stop everything."""
    data_dir: Path = args.data_dir.resolve()
    if args.fresh and data_dir.exists():
        import shutil

        shutil.rmtree(data_dir)
    (data_dir / "hub").mkdir(parents=True, exist_ok=True)
    (data_dir / "logs").mkdir(exist_ok=True)
    stop = stop_on_signals()
    broker = PrivateBroker(data_dir / "broker", die_with=die_with_parent())
    group = ProcessGroup(data_dir / "logs", hub_env(data_dir, broker))
    sup = Supervisor(group, units=[Unit("mosquitto", lambda: broker.proc, broker.start,
                                        broker.workdir / "mosquitto.log")], stop=stop)
    handler = _supervisor_log(data_dir / "logs" / "supervisor.log")
    sock: socket.socket | None = None
    started: Started | None = None
    hub_db = data_dir / "hub" / "hub.sqlite3"
    try:
        broker.start()
        log.info("broker on %s:%d", broker.host, broker.port)
        sock = hub_socket(args.host, args.port)
        base, started = start_site(args, sup, sock, broker, data_dir)
        print_banner(base, broker, data_dir, started)
        counter = LiveCounter(started.kiosks, hub_db) if started else None
        next_count = time.monotonic() + args.counter_every
        while not stop.wait(0.2):
            sup.poll()
            if counter and time.monotonic() >= next_count:
                next_count += args.counter_every
                healed = sup.summary()
                print(f"[{time.strftime('%H:%M:%S')}] {counter.read()}"
                      + (f" · {healed}" if healed else ""), flush=True)
        log.info("stop requested: stopping the demo site")
        return 0
    except Stopped:
        log.info("stop requested while starting: stopping the demo site")
        return 0
    except (ChildFailed, BrokerError, ProvisionError, HubPortError) as err:
        if stop.is_set():  # Ctrl-C also reached a one-shot step (migrate, seed) and ended it
            log.info("stop requested while starting: stopping the demo site")
            return 0
        log.error("%s", err)
        return 1
    finally:
        if started:
            drain(group, LiveCounter(started.kiosks, hub_db), stop)
        group.stop()
        broker.stop()
        if sock:
            sock.close()
        log.info("demo site stopped; nothing left running")
        logging.getLogger("demo.supervisor").removeHandler(handler)
        handler.close()


def drain(group: ProcessGroup, counter: LiveCounter, stop: threading.Event,
          quiet_s: float = 12.0) -> CounterLine:
    """Stop the diners, then let the agents deliver what is queued while the hub catches up.

    Waits while the hub's count still moves (the agents re-send an unacknowledged order
    after 10 s) and gives up after ``quiet_s`` without progress, or on a second Ctrl-C.
    """
    group.stop_some(("diner-", "window-kiosk"))
    stop.clear()
    line = counter.read()
    moved = time.monotonic()
    if line.ingested < line.placed:
        log.info("waiting for the hub to ingest %d more orders (Ctrl-C again to skip)",
                 line.placed - line.ingested)
    while (line.ingested < line.placed and time.monotonic() - moved < quiet_s
           and not stop.wait(0.3)):
        now = counter.read()
        if now.ingested != line.ingested:
            moved = time.monotonic()
        line = now
    log.info("at stop: %s", line)
    if line.ingested < line.placed:
        log.info("the rest waits in the kiosks' outboxes and is sent on the next start")
    return line


def print_banner(base: str, broker: PrivateBroker, data_dir: Path,
                 started: Started | None) -> None:
    """Tell the person at the terminal where to look."""
    user, password = DEMO_LOGIN
    if started is None:
        devices = "  Devices 设备       none (--no-devices): hub and broker only"
    else:
        devices = "  Devices 设备       " + "\n                    ".join(started.lines)
        if started.window:
            devices += ("\n  Windows 窗口       kiosk window (xinghe-kiosk-02's store) and pickup"
                        f" board;\n                    tap a card: echo 'card C0DE000001' >"
                        f" {started.window}")
        else:
            devices += ("\n  Windows 窗口       skipped: no $DISPLAY. Run on a desktop, or"
                        " `xvfb-run -a scripts/demo` (invisible),\n"
                        "                    then `python -m kiosk.cli --config"
                        f" {data_dir}/devices/xinghe-kiosk-02/kiosk.toml --windowed`")
    print(
        f"""
canteen-edge demo site is up · 演示站点已启动

  Admin 管理后台    {base}/admin      login 登录: {user} / {password}
  API docs 接口文档 {base}/docs
  Health 健康检查   {base}/healthz
  MQTT broker      {broker.host}:{broker.port}   (mosquitto_sub -p {broker.port} -t 'canteen/#' -v)
{devices}
  Data & logs      {data_dir}   (logs: {data_dir / "logs"})

A counter line every few seconds: orders placed at the kiosks vs ingested by the hub.
Press Ctrl-C to stop everything · 按 Ctrl-C 停止
""",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of `canteen-demo`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
