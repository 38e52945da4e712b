"""1,000 simulated devices heartbeating every 10 s (time compressed) against one hub consumer.

Two runs in the same process tree, same broker set-up, same batching (up to 500 messages or
20 ms per transaction, as the ingest worker): the hub's rolling summary
(hub.fleet.health.note_heartbeats: latest state + one row per device per 5-minute bucket)
against the baseline of writing every heartbeat as a row. Reported per run: heartbeat
processing lag (publish -> committed, p50/p99), hub consumer and broker CPU seconds and peak
memory, and the rows the database holds at the end.

Run: .venv/bin/python bench/fleet_heartbeats.py [--devices 1000] [--rounds 20] [--speedup 10]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion  # noqa: E402

from demo.broker import PrivateBroker  # noqa: E402

SITES = 10
INTERVAL_S = 10
T0 = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)


def _proc_cpu_mem(pid: int) -> tuple[float, int]:
    """(user+system CPU seconds, peak RSS in KiB) of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    peak = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1])
    return cpu, peak


# ---- the hub side (a subprocess) ---------------------------------------------------------

def consumer(db: str, port: int, mode: str, expect: int, out: str) -> None:
    """Subscribe to every heartbeat, write in batches, report lag and own resource use."""
    from hub.db import make_engine
    from hub.fleet.health import Beat, note_heartbeats
    from hub.migrate import upgrade_to_head
    from hub.settings import Settings
    from protocol import DeviceHeartbeat, parse

    engine = make_engine(Settings(demo_mode=True, database_url=f"sqlite:///{db}",
                                  data_dir=Path(db).parent))
    upgrade_to_head(engine)
    with engine.begin() as conn:
        ids = dict(conn.execute(sa.text("SELECT code, id FROM device")).all())
        conn.execute(sa.text(
            "CREATE TABLE IF NOT EXISTS bench_heartbeat_row (id INTEGER PRIMARY KEY, "
            "device_id INTEGER, sent_at TEXT, received_at TEXT, queue_depth INTEGER, "
            "oldest_unsent_age_s INTEGER, disk_free_mb INTEGER, cpu_temp_c REAL, "
            "printer TEXT, app_version TEXT, catalog_version INTEGER, config_version INTEGER)"))
    inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-hub-{mode}",
                         protocol=MQTTProtocolVersion.MQTTv5)
    topic = "canteen/v1/site/+/device/+/up/device.heartbeat"
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.on_message = lambda _c, _u, m: inbox.put((m.topic, bytes(m.payload)))
    client.connect("127.0.0.1", port)
    client.loop_start()
    before = resource.getrusage(resource.RUSAGE_SELF)  # start-up (imports, migration) apart
    Path(out + ".ready").write_text("1")
    lags: list[float] = []
    done = 0
    while done < expect:
        batch = [inbox.get()]
        deadline = time.monotonic() + 0.02
        while len(batch) < 500:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(inbox.get(timeout=left))
            except queue.Empty:
                break
        envs = [parse(raw, topic=topic) for topic, raw in batch]
        now = datetime.now(UTC)
        with engine.begin() as conn:
            if mode == "summary":
                note_heartbeats(conn, [Beat(ids[e.device], e.sent_at,
                                            e.payload_as(DeviceHeartbeat)) for e in envs],
                                received_at=now)
            else:
                conn.execute(sa.text(
                    "INSERT INTO bench_heartbeat_row (device_id, sent_at, received_at, "
                    "queue_depth, oldest_unsent_age_s, disk_free_mb, cpu_temp_c, printer, "
                    "app_version, catalog_version, config_version) VALUES (:d, :s, :r, :q, :o, "
                    ":f, :c, :p, :a, :cv, :fv)"), [
                    {"d": ids[e.device], "s": e.sent_at.isoformat(), "r": now.isoformat(),
                     "q": hb.queue_depth, "o": hb.oldest_unsent_age_s, "f": hb.disk_free_mb,
                     "c": hb.cpu_temp_c, "p": hb.printer, "a": hb.app_version,
                     "cv": hb.catalog_version, "fv": hb.config_version}
                    for e in envs for hb in [e.payload_as(DeviceHeartbeat)]])
        committed = time.time()
        lags += [committed - float(e.payload_as(DeviceHeartbeat).hardware["t"]) for e in envs]
        done += len(batch)
    client.loop_stop()
    with engine.connect() as conn:
        table = "fleet_heartbeat_bucket" if mode == "summary" else "bench_heartbeat_row"
        rows = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    use = resource.getrusage(resource.RUSAGE_SELF)
    Path(out).write_text(json.dumps({
        "lags": lags, "rows": rows,
        "cpu_s": use.ru_utime + use.ru_stime - before.ru_utime - before.ru_stime,
        "peak_kib": use.ru_maxrss, "db_bytes": Path(db).stat().st_size}))


# ---- the devices and the run -------------------------------------------------------------

def _setup_db(db: Path, devices: int) -> None:
    from sqlmodel import Session

    from hub.db import make_engine
    from hub.migrate import upgrade_to_head
    from hub.models import Device, DeviceKind, Site
    from hub.settings import Settings

    engine = make_engine(Settings(demo_mode=True, database_url=f"sqlite:///{db}",
                                  data_dir=db.parent))
    upgrade_to_head(engine)
    with Session(engine) as s:
        for i in range(SITES):
            site = Site(code=f"site{i}", name_zh=f"食堂{i}", name_en=f"Canteen {i}")
            s.add(site)
            s.flush()
            assert site.id is not None
            for j in range(i, devices, SITES):
                s.add(Device(code=f"k{j:04d}", kind=DeviceKind.KIOSK, site_id=site.id))
        s.commit()
    engine.dispose()


def run(mode: str, devices: int, rounds: int, speedup: float, work: Path) -> dict[str, Any]:
    """One run: a fresh broker and database, the consumer, the devices' rounds."""
    from protocol import encode, make_envelope

    d = work / mode
    d.mkdir()
    db = d / "hub.db"
    _setup_db(db, devices)
    broker = PrivateBroker(d / "broker").start()
    out = d / "result.json"
    expect = devices * rounds
    proc = subprocess.Popen([sys.executable, __file__, "--consumer", mode, "--db", str(db),
                             "--port", str(broker.port), "--expect", str(expect),
                             "--out", str(out)], cwd=ROOT)
    while not Path(str(out) + ".ready").exists():
        time.sleep(0.05)
    time.sleep(0.3)
    pubs = []
    for _ in range(4):  # four connections carry the 1,000 devices' topics
        c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        c.connect(broker.host, broker.port)
        c.loop_start()
        pubs.append(c)
    period = INTERVAL_S / speedup
    start = time.monotonic()
    for r in range(rounds):
        sim = T0 + timedelta(seconds=INTERVAL_S * r)
        for j in range(devices):
            # Spread each device's beat over the round, as real devices drift apart.
            target = start + r * period + period * j / devices
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            hb = {"queue_depth": (r + j) % 4, "disk_free_mb": 8000, "uptime_s": 10 * r,
                  "app_version": "canteen-edge 0.1.0", "catalog_version": 7,
                  "config_version": 3, "printer": "ok", "cpu_temp_c": 51.5,
                  "hardware": {"t": f"{time.time():.6f}"}}
            env = make_envelope("device.heartbeat", hb, site=f"site{j % SITES}",
                                device=f"k{j:04d}", sent_at=sim + timedelta(
                                    seconds=INTERVAL_S * j / devices))
            pubs[j % 4].publish(env.topic(), encode(env), qos=1)
    proc.wait(600)
    broker_cpu, broker_peak = _proc_cpu_mem(broker.proc.pid)  # type: ignore[union-attr]
    for c in pubs:
        c.loop_stop()
        c.disconnect()
    broker.stop()
    res = json.loads(out.read_text())
    lags = sorted(res["lags"])
    return {"mode": mode, "heartbeats": len(lags), "wall_s": time.monotonic() - start,
            "lag_p50_ms": 1000 * statistics.median(lags),
            "lag_p99_ms": 1000 * lags[int(len(lags) * 0.99) - 1], "rows": res["rows"],
            "hub_cpu_s": res["cpu_s"], "hub_peak_mib": res["peak_kib"] / 1024,
            "broker_cpu_s": broker_cpu, "broker_peak_mib": broker_peak / 1024,
            "db_mib": res["db_bytes"] / 2**20}


def main() -> int:
    """Both runs, then the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=30, help="heartbeats per device")
    p.add_argument("--speedup", type=float, default=10.0,
                   help="time compression: 10 means a 10-second round takes 1 s")
    p.add_argument("--consumer", choices=("summary", "rows"), help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.consumer:
        consumer(a.db, a.port, a.consumer, a.expect, a.out)
        return 0
    rate = a.devices / INTERVAL_S * a.speedup
    print(f"{a.devices} devices, a heartbeat each every {INTERVAL_S} s, {a.rounds} rounds, "
          f"time x{a.speedup:g} ({rate:.0f} heartbeats/s)")
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(mode, a.devices, a.rounds, a.speedup, Path(tmp))
                   for mode in ("rows", "summary")]
    cols = ("mode", "heartbeats", "lag_p50_ms", "lag_p99_ms", "hub_cpu_s", "hub_peak_mib",
            "broker_cpu_s", "broker_peak_mib", "rows", "db_mib")
    print(" | ".join(cols))
    for r in results:
        print(" | ".join(f"{r[c]:.1f}" if isinstance(r[c], float) else str(r[c]) for c in cols))
    base, summ = results
    print(f"rows kept: {summ['rows']} vs {base['rows']} "
          f"({base['rows'] / max(summ['rows'], 1):.0f}x fewer); hub CPU "
          f"{summ['hub_cpu_s'] / base['hub_cpu_s']:.2f}x the baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
