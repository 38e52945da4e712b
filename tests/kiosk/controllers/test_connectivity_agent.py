"""The offline banner follows the real agent's broker link (store meta), not a guess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from edge_agent.store import DeviceStore
from kiosk.config import ConnectivityConfig
from kiosk.services.connectivity import AgentConnectivity, build_connectivity
from tests.kiosk.controllers.conftest import make_kiosk
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[3]




def linked(store: DeviceStore) -> bool:
    """The agent wrote "connected" (not the outbox fallback answering)."""
    link = store.agent_link()
    return link is not None and link.connected


@pytest.fixture
def agent_toml(tmp_path: Path, broker: PrivateBroker) -> Path:
    """An agent config on the kiosk's store file and the private broker."""
    conf = tmp_path / "agent.toml"
    conf.write_text(
        f'site_id = "site-1"\ndevice_id = "kiosk-1"\nstore_path = "{tmp_path / "store.db"}"\n'
        "heartbeat_interval_s = 0.5\n"
        f'[broker]\nhost = "{broker.host}"\nport = {broker.port}\nkeepalive_s = 5\n'
        "reconnect_min_s = 0.1\nreconnect_max_s = 0.5\n"
    )
    return conf


@pytest.fixture
def agent(agent_toml: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The real edge agent as its own process (python -m edge_agent)."""
    proc = subprocess.Popen([sys.executable, "-m", "edge_agent", "--config", str(agent_toml)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_kiosk_goes_offline_when_the_broker_dies_and_back_when_it_returns(
    tmp_path: Path, broker: PrivateBroker, agent: subprocess.Popen[bytes]
) -> None:
    k = make_kiosk(tmp_path)
    try:
        net = AgentConnectivity(k.store, stale_after_s=3.0)
        k.services.connectivity = net
        k.services.orders.connectivity = net
        j = k.journey
        wait_for(lambda: linked(k.store), 15, "the agent to report the broker link up")
        j.tick()
        assert not j.state.offline
        broker.kill()
        wait_for(lambda: not net.online(), 10, "the agent to report the link down")
        j.tick()
        assert j.state.offline  # the diner sees the offline banner
        link = k.store.agent_link()
        assert link is not None and not link.connected
        broker.start()
        wait_for(net.online, 20, "the agent to reconnect")
        j.tick()
        assert not j.state.offline
    finally:
        k.runtime.stop()


def test_a_dead_agent_goes_stale_and_counts_as_offline(
    tmp_path: Path, broker: PrivateBroker, agent: subprocess.Popen[bytes]
) -> None:
    k = make_kiosk(tmp_path)
    try:
        net = AgentConnectivity(k.store, stale_after_s=1.5)
        wait_for(lambda: linked(k.store), 15, "the agent to report the broker link up")
        os.kill(agent.pid, signal.SIGKILL)  # no goodbye: "connected" stays written
        agent.wait(timeout=5)
        link = k.store.agent_link()
        assert link is not None and link.connected
        wait_for(lambda: not net.online(), 5, "the agent's status to go stale")
    finally:
        k.runtime.stop()


def test_without_an_agent_the_outbox_age_is_the_fallback(tmp_path: Path) -> None:
    k = make_kiosk(tmp_path)
    try:
        now = [time.time()]
        net = AgentConnectivity(k.store, stale_after_s=60, now=lambda: now[0])
        assert k.store.agent_link() is None
        assert net.online()  # empty outbox: nothing waits
        j = k.journey
        j.start()
        j.identify("guest")
        assert j.open_dish("rice") and j.add_dish()
        j.open_cart()
        assert j.checkout(), j.state.message
        now[0] += 61  # the order has waited a minute for the hub
        assert not net.online()
        assert isinstance(build_connectivity(ConnectivityConfig(), k.store), AgentConnectivity)
    finally:
        k.runtime.stop()
