"""`canteen-demo`: start a whole demo site and stop all of it on Ctrl-C.

The site: a private Mosquitto on a free port, the hub on an SQLite file with
seeded data, the hub's ingest worker, and the first seeded canteen's devices (two
kiosks driven by scripted diners, a kitchen display with a scripted cook, a pickup
board, each with its own edge agent, a receipt printer simulator), plus a kiosk
window when a display is available. Everything runs as child processes of this
one; SIGINT or SIGTERM stops every one of them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from demo.broker import BrokerError, PrivateBroker, free_port
from demo.counter import counter_line
from demo.devices import Started, start_devices
from demo.processes import ChildFailed, ProcessGroup, wait_http_ok
from demo.provision import ProvisionError, provision
from demo.site import demo_site
from hub.downlinks.mqtt import BrokerTarget

log = logging.getLogger("canteen-demo")

DEMO_LOGIN = ("admin", "canteen-demo")


class _Stop(Exception):
    """Raised from the signal handler to unwind the main loop."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="canteen-demo", description=__doc__)
    p.add_argument("--data-dir", type=Path, default=Path("var/demo"),
                   help="where the demo keeps its database, broker files and logs")
    p.add_argument("--host", default="127.0.0.1", help="address the hub listens on")
    p.add_argument("--port", type=int, default=0, help="hub port (0: a free one, 8000 if free)")
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


def pick_port(wanted: int) -> int:
    """The wanted port, or 8000 when it is free, or any free port."""
    if wanted:
        return wanted
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 8000))
            return 8000
        except OSError:
            return free_port()


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


def start_site(args: argparse.Namespace, group: ProcessGroup, broker: PrivateBroker,
               data_dir: Path) -> tuple[str, Started | None]:
    """Migrate, seed, serve the hub; then ingest, provisioning and the devices."""
    log.info("migrating and seeding the hub database")
    group.run("hub-migrate", ["-m", "hub.cli", "migrate"])
    group.run("hub-seed", ["-m", "hub.cli", "seed", "--seed", str(args.seed)])
    port = pick_port(args.port)
    group.start("hub", ["-m", "hub.cli", "serve", "--host", args.host, "--port", str(port)])
    base = f"http://{args.host}:{port}"
    wait_http_ok(f"{base}/healthz", timeout=60, group=group)
    if args.no_devices:
        return base, None
    group.start("hub-ingest", ["-m", "hub.ingest", "--worker-id", "demo-ingest"])
    group.start("hub-downlinks", ["-m", "hub.downlinks", "--members-every", "10"])
    log.info("provisioning the devices through the hub API")
    site = demo_site()
    prov = provision(base, DEMO_LOGIN, site.code, "XH", BrokerTarget(broker.host, broker.port))
    windows = bool(os.environ.get("DISPLAY")) and not args.no_windows
    started = start_devices(group, data_dir, broker.port, prov, rate=args.rate, windows=windows)
    return base, started


def run(args: argparse.Namespace) -> int:
    """Start the site, print where to look, wait for a signal, stop everything."""
    data_dir: Path = args.data_dir.resolve()
    if args.fresh and data_dir.exists():
        import shutil

        shutil.rmtree(data_dir)
    (data_dir / "hub").mkdir(parents=True, exist_ok=True)
    (data_dir / "logs").mkdir(exist_ok=True)
    broker = PrivateBroker(data_dir / "broker")
    group: ProcessGroup | None = None
    started: Started | None = None
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        broker.start()
        log.info("broker on %s:%d", broker.host, broker.port)
        group = ProcessGroup(data_dir / "logs", hub_env(data_dir, broker))
        base, started = start_site(args, group, broker, data_dir)
        print_banner(base, broker, data_dir, started)
        hub_db = data_dir / "hub" / "hub.sqlite3"
        next_count = time.monotonic() + args.counter_every
        while True:
            group.check_alive()
            if started and time.monotonic() >= next_count:
                next_count += args.counter_every
                print(f"[{time.strftime('%H:%M:%S')}] {counter_line(started.kiosks, hub_db)}",
                      flush=True)
            time.sleep(0.5)
    except _Stop as stop:
        log.info("%s received: stopping the demo site", stop)
        return 0
    except (ChildFailed, BrokerError, ProvisionError) as err:
        log.error("%s", err)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if group:
            if started:
                drain(group, started, data_dir / "hub" / "hub.sqlite3")
            group.stop()
        broker.stop()
        log.info("demo site stopped; nothing left running")


def drain(group: ProcessGroup, started: Started, hub_db: Path, timeout: float = 8.0) -> None:
    """Stop the diners first, then give the agents a moment to deliver what is queued."""
    group.stop_some(("diner-", "window-kiosk"))
    deadline = time.monotonic() + timeout
    line = counter_line(started.kiosks, hub_db)
    while line.ingested < line.placed and time.monotonic() < deadline:
        time.sleep(0.3)
        line = counter_line(started.kiosks, hub_db)
    log.info("at stop: %s", line)
    if line.ingested < line.placed:
        log.info("the rest waits in the kiosks' outboxes and is sent on the next start")


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
