"""A one-shot MQTT publisher for the API: connect, publish at QoS 1, wait for PUBACK, leave."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion


class PublishFailed(RuntimeError):
    """The broker could not be reached or did not confirm the publish in time."""


@dataclass(frozen=True)
class BrokerTarget:
    """Where the hub publishes downlinks."""

    host: str = "127.0.0.1"
    port: int = 1883

    @classmethod
    def from_env(cls) -> BrokerTarget:
        """CANTEEN_MQTT_HOST / CANTEEN_MQTT_PORT (hub Settings has no MQTT fields yet)."""
        return cls(os.environ.get("CANTEEN_MQTT_HOST", "127.0.0.1"),
                   int(os.environ.get("CANTEEN_MQTT_PORT", "1883")))


class OneShotPublisher:
    """Use as a context manager; publish() returns only after the broker's PUBACK."""

    def __init__(self, target: BrokerTarget, *, timeout: float = 5.0) -> None:
        self.target = target
        self.timeout = timeout
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"canteen-hub-api-{uuid.uuid4().hex[:8]}",
                                  protocol=MQTTProtocolVersion.MQTTv5)

    def __enter__(self) -> OneShotPublisher:
        try:
            self.client.connect(self.target.host, self.target.port, keepalive=30)
        except OSError as err:
            raise PublishFailed(f"broker {self.target.host}:{self.target.port}: {err}") from err
        self.client.loop_start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> Any:
        """Publish and wait for the broker to confirm."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as err:
            raise PublishFailed(f"publish to {topic} failed: {err}") from err
        if not info.is_published():
            raise PublishFailed(f"publish to {topic} not confirmed in {self.timeout}s")
        return info
