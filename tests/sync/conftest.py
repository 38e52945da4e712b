"""Fixtures of the sync-path tests: hub settings on SQLite pointing at the private broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from hub.settings import Settings
from tests.hub.conftest import make_settings


@pytest.fixture
def hub(tmp_path: Path, broker: PrivateBroker) -> Settings:
    """Hub settings on an SQLite file, its MQTT fields on the test's Mosquitto."""
    return make_settings(tmp_path, mqtt_host=broker.host, mqtt_port=broker.port)
