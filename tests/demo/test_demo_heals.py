"""The running demo heals: kill -9 of the ingest worker and of the broker, and nothing is lost.

First a `--no-devices` run makes the other seeded site inactive through the API; the full
demo must still start on that database (provisioning skips the inactive site; it used to
exit on the 404). Then the ingest worker and the broker are killed with SIGKILL: the
supervisor restarts both (its log says so), orders placed afterwards reach the hub, and at
the stop the counter, read from the device stores and the hub database, says placed =
ingested, per kiosk to the cent.
"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

from demo.broker import free_port
from demo.counter import device_totals, hub_totals
from demo.site import demo_devices, demo_site
from tests.support.demo_site import START_CEILING_S, DemoRun, demo_token, http_json
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

AT_STOP = re.compile(r"at stop: kiosks placed (\d+) \(￥([\d.]+)\) · "
                     r"hub ingested (\d+) \(￥([\d.]+)\)")


def _deactivate_other_site(data: Path, port: int, start_demo: type[DemoRun]) -> str:
    """A hub-only run; PATCH the site that is not the demo's to inactive; its code."""
    run = start_demo(data, "--port", str(port), "--no-devices")
    run.wait_up()
    base = f"http://127.0.0.1:{port}"
    token = demo_token(base)
    page = http_json(f"{base}/api/v1/sites", token=token)
    assert isinstance(page, dict)
    other = next(s for s in page["items"] if s["code"] != demo_site().code)
    changed = http_json(f"{base}/api/v1/sites/{other['id']}", token=token, method="PATCH",
                        data=json.dumps({"active": False}).encode())
    assert isinstance(changed, dict) and changed["active"] is False
    run.stop()
    return str(other["code"])


def test_demo_heals_killed_ingest_worker_and_broker_and_counts_honestly(
        tmp_path: Path, start_demo: type[DemoRun]) -> None:
    data = tmp_path / "demo"
    port = free_port()
    inactive = _deactivate_other_site(data, port, start_demo)

    run = start_demo(data, "--port", str(port), "--rate", "1.0", "--counter-every", "3")
    run.wait_up()
    assert f"site {inactive} is inactive: skipped" in run.output, run.output

    kiosks = [d for d in demo_devices(data) if d.kind == "kiosk"]
    hub_db = data / "hub" / "hub.sqlite3"

    def placed() -> int:
        return sum(n for n, _ in device_totals(kiosks).values())

    def ingested() -> int:
        at_hub = hub_totals(hub_db)
        return sum(at_hub.get(k.code, (0, 0))[0] for k in kiosks)

    def both() -> str:
        return f"placed {placed()}, ingested {ingested()}\n{run.output[-2000:]}"

    wait_for(lambda: ingested() > 0, START_CEILING_S, what=both, interval=0.3)

    os.kill(run.child("-m hub.ingest"), signal.SIGKILL)
    run.wait_supervisor_log("hub-ingest restarted")
    os.kill(run.child("mosquitto -c"), signal.SIGKILL)
    run.wait_supervisor_log("mosquitto restarted")
    log = run.supervisor_log()
    assert "hub-ingest exited (killed by SIGKILL)" in log, log
    assert "mosquitto exited (killed by SIGKILL)" in log, log

    # Orders placed after both faults reach the hub, while the site keeps selling.
    after_faults = placed()
    wait_for(lambda: placed() >= after_faults + 3, START_CEILING_S, what=both, interval=0.3)
    target = placed()
    wait_for(lambda: ingested() >= target, START_CEILING_S, what=both, interval=0.3)
    wait_for(lambda: "restarted mosquitto ×1, hub-ingest ×1" in run.output, START_CEILING_S,
             what=lambda: f"a counter line naming the restarts:\n{run.output[-2000:]}")

    out = run.stop()
    final = AT_STOP.search(out)
    assert final, out
    assert final[1] == final[3] and final[2] == final[4], final[0]
    assert "GAVE UP" not in run.supervisor_log()

    at_devices = device_totals(kiosks)
    at_hub = hub_totals(hub_db)
    assert all(n > 0 for n, _ in at_devices.values()), at_devices
    for code, totals in at_devices.items():
        assert at_hub.get(code) == totals, (code, at_hub, at_devices)
    assert sum(n for n, _ in at_devices.values()) == int(final[1])
