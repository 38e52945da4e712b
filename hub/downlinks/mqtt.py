"""The hub's MQTT login (service user, TLS) and a one-shot publisher for the API."""

from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from hub.settings import Settings


class PublishFailed(RuntimeError):
    """The broker could not be reached or did not confirm the publish in time."""


@dataclass(frozen=True)
class BrokerTarget:
    """Where the hub connects and how it logs in (password read from its file at connect)."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password_file: Path | None = None
    tls_ca_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerTarget:
        """The broker of the hub's settings (CANTEEN_MQTT_*)."""
        return cls(settings.mqtt_host, settings.mqtt_port, settings.mqtt_username,
                   settings.mqtt_password_file, settings.mqtt_tls_ca_file)

    def password(self) -> str | None:
        """The service user's password, read now; PublishFailed when unreadable."""
        if self.password_file is None:
            return None
        try:
            return self.password_file.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise PublishFailed(f"mqtt password file: {err}") from err

    def configure(self, client: mqtt.Client) -> None:
        """Set the login and TLS of this target on a client before it connects."""
        if self.username:
            client.username_pw_set(self.username, self.password())
        if self.tls_ca_file is not None:
            client.tls_set(ca_certs=str(self.tls_ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)


class OneShotPublisher:
    """Use as a context manager; publish() returns only after the broker's PUBACK."""

    def __init__(self, target: BrokerTarget, *, timeout: float = 5.0) -> None:
        self.target = target
        self.timeout = timeout
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"canteen-hub-api-{uuid.uuid4().hex[:8]}",
                                  protocol=MQTTProtocolVersion.MQTTv5)

    def __enter__(self) -> OneShotPublisher:
        self.target.configure(self.client)
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
        """Publish and wait for the broker to confirm (a refused login fails here too)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as err:
            raise PublishFailed(f"publish to {topic} failed: {err}") from err
        if not info.is_published():
            raise PublishFailed(f"publish to {topic} not confirmed in {self.timeout}s")
        return info
