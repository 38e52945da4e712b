"""demo.supervisor with real child processes: restart with backoff, give up after the burst.

A child that keeps crashing is given up (loudly) while its siblings keep running untouched;
a child killed with SIGKILL is started again; one that stops cleanly stays stopped; stopping
the group leaves nothing behind. A killed broker comes back on its port with its queue.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from demo.broker import PrivateBroker
from demo.processes import ProcessGroup
from demo.supervisor import RestartPolicy, Supervisor, Unit, describe_exit, is_failure
from tests.support.waiting import wait_for

FAST = RestartPolicy(first_delay_s=0.05, max_delay_s=0.4, burst=3, interval_s=600)
SLEEPER = ["-c", "import time\nwhile True: time.sleep(1)"]
CRASHER = ["-c", "import sys; print('crashing on purpose', flush=True); sys.exit(3)"]


@pytest.fixture
def group(tmp_path: Path) -> Iterator[ProcessGroup]:
    g = ProcessGroup(tmp_path / "logs", {"PATH": "/usr/bin:/bin"})
    yield g
    g.stop(timeout=5)


def _polling(sup: Supervisor, cond: Callable[[], object]) -> Callable[[], bool]:
    """A condition that lets the supervisor act before each look."""
    def check() -> bool:
        sup.poll()
        return bool(cond())
    return check


def test_exit_classification_follows_restart_on_failure() -> None:
    assert is_failure(3) and is_failure(-signal.SIGKILL) and is_failure(-signal.SIGSEGV)
    assert not is_failure(0) and not is_failure(-signal.SIGTERM)
    assert not is_failure(-signal.SIGINT)
    assert describe_exit(-9) == "killed by SIGKILL" and describe_exit(3) == "exit code 3"
    assert [FAST.delay(n) for n in (1, 2, 3, 4, 5)] == [0.05, 0.1, 0.2, 0.4, 0.4]


def test_a_crash_loop_is_given_up_after_the_burst_and_the_rest_keeps_running(
        group: ProcessGroup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="demo.supervisor")
    steady = group.start("steady", SLEEPER)
    crasher = group.start("crasher", CRASHER)
    steady_pid = steady.proc.pid
    sup = Supervisor(group, FAST, stop=threading.Event())

    wait_for(_polling(sup, lambda: "crasher" in sup.given_up), 60, what="the give-up")

    text = caplog.text
    assert text.count("crasher exited (exit code 3)") == FAST.burst, text
    assert text.count("crasher restarted") == FAST.burst, text
    assert "GAVE UP on crasher (exit code 3)" in text and "crashing on purpose" in text, text
    # Given up means no more starts, and nothing else was touched.
    last_pid = crasher.proc.pid
    for _ in range(20):
        sup.poll()
    assert crasher.proc.pid == last_pid and crasher.proc.poll() == 3
    assert steady.proc.pid == steady_pid and steady.proc.poll() is None
    assert "steady" not in text
    assert sup.summary() == f"restarted crasher ×{FAST.burst} · gave up on crasher"


def test_a_killed_child_comes_back_and_a_clean_stop_stays_stopped(
        group: ProcessGroup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="demo.supervisor")
    worker = group.start("worker", SLEEPER)
    quitter = group.start("quitter", SLEEPER)
    sup = Supervisor(group, FAST, stop=threading.Event())
    first = worker.proc.pid

    worker.proc.send_signal(signal.SIGKILL)
    wait_for(_polling(sup, lambda: worker.proc.pid != first and worker.proc.poll() is None),
             60, what="the worker restarted")
    assert "worker exited (killed by SIGKILL); restart 1 of at most 3" in caplog.text

    quitter.proc.send_signal(signal.SIGTERM)
    wait_for(_polling(sup, lambda: "quitter stopped cleanly" in caplog.text), 60,
             what="the clean stop noticed")
    for _ in range(20):
        sup.poll()
    assert quitter.proc.poll() is not None, "a clean stop was restarted"
    assert "quitter restarted" not in caplog.text

    pids = [c.proc.pid for c in group.children]
    group.stop(timeout=5)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
            f"/proc/{pid}/status").read_text().lower()


def test_nothing_restarts_once_a_stop_was_requested(group: ProcessGroup) -> None:
    child = group.start("child", SLEEPER)
    stop = threading.Event()
    sup = Supervisor(group, FAST, stop=stop)
    stop.set()
    child.proc.send_signal(signal.SIGKILL)
    child.proc.wait(timeout=10)
    for _ in range(10):
        sup.poll()
    assert child.proc.poll() == -signal.SIGKILL


def _session(broker: PrivateBroker, received: list[bytes], subscribed: threading.Event
             ) -> mqtt.Client:
    """A persistent MQTT v3.1.1 session (clean_session False) that collects t/# at QoS 1."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="demo-keeper",
                         clean_session=False, protocol=mqtt.MQTTv311)

    def on_connect(c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        c.subscribe("t/#", qos=1)

    client.on_connect = on_connect
    client.on_subscribe = lambda *_a: subscribed.set()
    client.on_message = lambda _c, _u, msg: received.append(msg.payload)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def test_a_killed_broker_comes_back_on_its_port_with_its_queue(
        tmp_path: Path, group: ProcessGroup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="demo.supervisor")
    broker = PrivateBroker(tmp_path / "broker").start()
    try:
        sup = Supervisor(group, FAST, stop=threading.Event(), units=[
            Unit("mosquitto", lambda: broker.proc, broker.start)])
        port, first = broker.port, broker.proc
        assert first is not None
        received: list[bytes] = []
        subscribed = threading.Event()
        keeper = _session(broker, received, subscribed)
        wait_for(subscribed.is_set, 30, what="the SUBACK")
        keeper.disconnect()
        keeper.loop_stop()

        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="demo-pub")
        pub.connect(broker.host, broker.port)
        pub.loop_start()
        sent = [f"order {i}".encode() for i in range(20)]
        for info in [pub.publish("t/orders", body, qos=1) for body in sent]:
            info.wait_for_publish(timeout=30)
        pub.disconnect()
        pub.loop_stop()
        # Queued for the offline session; wait for the broker's next save (once a second).
        acked = time.time_ns()
        saved = tmp_path / "broker" / "data" / "mosquitto.db"
        wait_for(lambda: saved.exists() and saved.stat().st_mtime_ns > acked, 30,
                 what="the broker's autosave")

        os.kill(first.pid, signal.SIGKILL)
        wait_for(_polling(sup, lambda: broker.proc is not first and broker.proc is not None
                          and broker.proc.poll() is None), 60, what="the broker restarted")
        assert "mosquitto exited (killed by SIGKILL); restart 1" in caplog.text
        assert broker.port == port

        subscribed.clear()
        keeper = _session(broker, received, subscribed)
        try:
            wait_for(lambda: len(received) >= len(sent), 60,
                     what=lambda: f"the queued messages (got {len(received)})")
        finally:
            keeper.disconnect()
            keeper.loop_stop()
        assert set(received) == set(sent)  # QoS 1: a re-delivery may repeat one
    finally:
        broker.stop()
