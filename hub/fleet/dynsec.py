"""Mosquitto's dynamic security plugin, managed by the hub over ``$CONTROL/dynamic-security/v1``.

What it gives over the password and ACL files (hub/fleet/broker_files.py):
- every device's broker client is bound to its client id (the plugin refuses a login whose
  client id differs), which closes the session-takeover gap of file ACLs;
- changes apply at once, without rewriting files or reloading the broker: a deleted client
  is disconnected by the plugin the moment it is deleted.

Layout of the plugin's clients and roles (every ACL built by hub/fleet/acl.py from protocol's
topic builders, as the files are):

- device ``D`` of kind ``K`` at site ``S``: client ``D`` bound to client id ``D``, roles
  ``site:S:K`` (what every ``K`` of ``S`` reads) and ``device:D`` (its own topics);
- the kitchen link of a KDS or pickup board ``D``: client ``D-kitchen``, the same roles;
- hub service users (ingest, downlinks): role ``canteen-hub``, any client id (several
  workers share one login);
- the hub's plugin admin: role ``canteen-dynsec-admin`` (the control topic only).

Mosquitto 2.0's plugin has no ``%u`` substitution in ACLs (tried: ``a/%u/#`` matches
nothing), hence a small role per device beside the role per site and kind.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlmodel import Session, select

from hub.downlinks.mqtt import BrokerTarget
from hub.fleet.acl import AclRule, device_rules, hub_rules
from hub.fleet.passwd import mosquitto_hash
from hub.models.devices import Device, DeviceKind
from hub.models.fleet import BrokerAccount, BrokerAccountKind
from hub.models.sites import Site
from hub.settings import Settings
from protocol.claim import kitchen_login

log = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
PLUGIN_PATHS = (
    "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/arm-linux-gnueabihf/mosquitto_dynamic_security.so",
    "/usr/lib/mosquitto/mosquitto_dynamic_security.so",
    "/usr/local/lib/mosquitto_dynamic_security.so",
)
HUB_ROLE = "canteen-hub"
ADMIN_ROLE = "canteen-dynsec-admin"
_KITCHEN_KINDS = {DeviceKind.KDS.value, DeviceKind.PICKUP.value}
# Nothing is allowed unless a role allows it; unsubscribing is harmless.
DEFAULT_ACL_ACCESS = {
    "publishClientSend": False,
    "publishClientReceive": False,
    "subscribe": False,
    "unsubscribe": True,
}


class DynsecError(RuntimeError):
    """The plugin could not be reached, or refused a command (the message names which)."""


def plugin_path() -> str | None:
    """Where this machine's ``mosquitto_dynamic_security.so`` is (Debian package mosquitto)."""
    return next((p for p in PLUGIN_PATHS if Path(p).exists()), None)


def site_kind_role(site: str, kind: str) -> str:
    """The role every device of one kind at one site shares."""
    return f"site:{site}:{kind}"


def device_role(device: str) -> str:
    """The role holding one device's own topics."""
    return f"device:{device}"


def _acls(rules: Iterable[AclRule], priority: int = 0, *, shared: bool = False
          ) -> list[dict[str, Any]]:
    """Plugin ACL entries for acl_file-style rules: write = send, read = subscribe + receive."""
    out: list[dict[str, Any]] = []
    for rule in rules:
        if rule.access in ("write", "readwrite"):
            out.append({"acltype": "publishClientSend", "topic": rule.pattern, "allow": True,
                        "priority": priority})
        if rule.access in ("read", "readwrite"):
            out += [
                {"acltype": "subscribePattern", "topic": rule.pattern, "allow": True,
                 "priority": priority},
                {"acltype": "publishClientReceive", "topic": rule.pattern, "allow": True,
                 "priority": priority},
            ]
            if shared:
                # Mosquitto 2.0 checks a shared subscription's whole filter, $share/... too.
                out.append({"acltype": "subscribePattern", "topic": f"$share/+/{rule.pattern}",
                            "allow": True, "priority": priority})
    return out


def _split_rules(site: str, device: str, kind: str) -> tuple[list[AclRule], list[AclRule]]:
    """(shared by the site and kind, own to the device) of a device's acl_file rules."""
    kitchen = kind in _KITCHEN_KINDS
    rules = device_rules(site, device, kitchen=kitchen)
    own_markers = (f"/device/{device}/", f"/display/{device}/")
    own = [r for r in rules if any(m in r.pattern + "/" for m in own_markers)]
    shared = [r for r in rules if r not in own]
    return shared, own


@dataclass(frozen=True, slots=True)
class DeviceAccess:
    """One device as the plugin knows it."""

    site: str
    device: str
    kind: str

    def roles(self) -> list[dict[str, Any]]:
        """Plugin role definitions this device needs (its site-kind role and its own)."""
        shared, own = _split_rules(self.site, self.device, self.kind)
        return [
            {"rolename": site_kind_role(self.site, self.kind), "acls": _acls(shared)},
            {"rolename": device_role(self.device), "acls": _acls(own)},
        ]

    def logins(self) -> list[str]:
        """Broker users (each bound to the same-named client id) of this device."""
        if self.kind in _KITCHEN_KINDS:
            return [self.device, kitchen_login(self.device)]
        return [self.device]

    def role_refs(self) -> list[dict[str, Any]]:
        """The roles a client of this device holds."""
        return [{"rolename": site_kind_role(self.site, self.kind)},
                {"rolename": device_role(self.device)}]


def hub_role() -> dict[str, Any]:
    """The hub service users' role."""
    return {"rolename": HUB_ROLE, "acls": _acls(hub_rules(), shared=True)}


def admin_role() -> dict[str, Any]:
    """The role of the hub's plugin admin: the control topic and nothing else."""
    topic = "$CONTROL/dynamic-security/#"
    return {"rolename": ADMIN_ROLE, "acls": [
        {"acltype": "publishClientSend", "topic": topic, "allow": True},
        {"acltype": "publishClientReceive", "topic": topic, "allow": True},
        {"acltype": "subscribePattern", "topic": topic, "allow": True},
    ]}


def _hash_fields(broker_hash: str) -> dict[str, Any]:
    """The plugin's password fields from a ``$7$`` hash: the same PBKDF2-SHA512, split up."""
    iterations, salt, digest = broker_hash[len("$7$"):].split("$")
    return {"password": digest, "salt": salt, "iterations": int(iterations)}


def render_dynsec_config(
    session: Session, *, admin_username: str, admin_password: str
) -> dict[str, Any]:
    """The plugin's JSON file for a broker's first start, from the hub's broker accounts.

    After that the hub changes it live (DynsecAdmin); the plugin saves the file itself.
    """
    clients: list[dict[str, Any]] = [{
        "username": admin_username, "textname": "canteen-edge hub (plugin admin)",
        **_hash_fields(mosquitto_hash(admin_password)), "roles": [{"rolename": ADMIN_ROLE}],
    }]
    roles: dict[str, dict[str, Any]] = {HUB_ROLE: hub_role(), ADMIN_ROLE: admin_role()}
    accounts = session.exec(select(BrokerAccount).order_by(BrokerAccount.username)).all()
    for svc in (a for a in accounts if a.kind == BrokerAccountKind.SERVICE):
        clients.append({"username": svc.username, "textname": "hub service",
                        **_hash_fields(svc.broker_hash), "roles": [{"rolename": HUB_ROLE}]})
    rows = session.exec(
        select(BrokerAccount, Device, Site)
        .join(Device, Device.id == BrokerAccount.device_id)  # type: ignore[arg-type]
        .join(Site, Site.id == Device.site_id)  # type: ignore[arg-type]
        .where(Device.active == True, Site.active == True)  # noqa: E712
        .order_by(Site.code, Device.code)
    ).all()
    for account, device, site in rows:
        access = DeviceAccess(site.code, device.code, str(device.kind))
        for role in access.roles():
            roles.setdefault(role["rolename"], role)
        for login in access.logins():
            clients.append({"username": login, "clientid": login,
                            "textname": f"{device.kind} {device.code} at {site.code}",
                            **_hash_fields(account.broker_hash), "roles": access.role_refs()})
    return {"clients": clients, "roles": list(roles.values()), "groups": [],
            "defaultACLAccess": DEFAULT_ACL_ACCESS}


def write_dynsec_config(
    session: Session, path: Path, *, admin_username: str, admin_password: str
) -> Path:
    """Write the plugin's file (mode 600; Mosquitto must own it to save its changes)."""
    config = render_dynsec_config(session, admin_username=admin_username,
                                  admin_password=admin_password)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def broker_config_lines(config_file: Path, plugin: str | None = None) -> str:
    """The mosquitto.conf lines that load the plugin with this file."""
    so = plugin or plugin_path()
    if so is None:
        raise DynsecError("mosquitto_dynamic_security.so not found (apt-get install mosquitto)")
    return (
        "per_listener_settings false\n"
        "allow_anonymous false\n"
        f"plugin {so}\n"
        f"plugin_opt_config_file {config_file}\n"
    )


# Answers that mean "already as wanted" for the idempotent steps below.
_ALREADY = ("already exists",)
_MISSING = ("not found",)


class DynsecAdmin:
    """A connection to the plugin's control topic; each call waits for the plugin's answer."""

    def __init__(self, target: BrokerTarget, *, timeout: float = 5.0) -> None:
        self.target = target
        self.timeout = timeout
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"hub-dynsec-{uuid.uuid4().hex[:10]}",
                                  protocol=MQTTProtocolVersion.MQTTv5)
        self._lock = threading.Lock()
        self._answers: queue.Queue[list[dict[str, Any]]] = queue.Queue()
        self._ready = threading.Event()
        self._connect_error: str | None = None
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    @classmethod
    def from_settings(cls, settings: Settings) -> DynsecAdmin | None:
        """The hub's plugin admin (CANTEEN_DYNSEC_*), or None when the hub manages files."""
        if not settings.dynsec_username:
            return None
        return cls(BrokerTarget(settings.mqtt_host, settings.mqtt_port,
                                settings.dynsec_username, settings.dynsec_password_file,
                                settings.mqtt_tls_ca_file))

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            self._connect_error = f"broker refused the plugin admin: {rc}"
            self._ready.set()
            return
        client.subscribe(RESPONSE_TOPIC, qos=1)

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, rcs: list[Any], _p: Any) -> None:
        if any(rc.is_failure for rc in rcs):
            self._connect_error = "the plugin admin may not read the control responses"
        self._ready.set()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            responses = json.loads(msg.payload).get("responses", [])
        except (ValueError, AttributeError):
            log.warning("dynsec: unreadable response %r", msg.payload[:200])
            return
        self._answers.put(responses)

    def __enter__(self) -> DynsecAdmin:
        try:
            self.target.configure(self.client)
            self.client.connect(self.target.host, self.target.port, keepalive=30)
        except (OSError, ValueError) as err:
            raise DynsecError(f"broker {self.target.host}:{self.target.port}: {err}") from err
        self.client.loop_start()
        if not self._ready.wait(self.timeout) or self._connect_error:
            self.close()
            raise DynsecError(self._connect_error or "the broker did not answer in time")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, commands: Sequence[dict[str, Any]],
             tolerate: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Send commands in one message; DynsecError on any error not in ``tolerate``.

        Mosquitto 2.0's plugin answers without the request's correlation data, so one
        command message is in flight at a time and the next answer is its answer.
        """
        with self._lock:
            while not self._answers.empty():  # a late answer to a command that timed out
                self._answers.get_nowait()
            info = self.client.publish(CONTROL_TOPIC, json.dumps({"commands": list(commands)}),
                                       qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise DynsecError(f"could not send to the plugin: {mqtt.error_string(info.rc)}")
            try:
                responses = self._answers.get(timeout=self.timeout)
            except queue.Empty as err:
                raise DynsecError("the plugin did not answer in time (is it loaded?)") from err
        for cmd, resp in zip(commands, responses, strict=False):
            refused = resp.get("error")
            if refused and not any(t in str(refused).lower() for t in tolerate):
                raise DynsecError(f"{cmd['command']}: {refused}")
        return responses

    def ensure_role(self, role: dict[str, Any]) -> None:
        """Create the role, or replace its ACLs with these (an update to the topic scheme)."""
        self.send([{"command": "deleteRole", "rolename": role["rolename"]}], _MISSING)
        self.send([{"command": "createRole", **role}])

    def add_device(self, access: DeviceAccess, password: str) -> None:
        """Create (or replace) the device's roles and clients; a replaced client is kicked."""
        shared, own = access.roles()
        self.send([{"command": "createRole", **shared}], _ALREADY)
        self.ensure_role(own)
        for login in access.logins():
            self.send([{"command": "deleteClient", "username": login}], _MISSING)
            self.send([{"command": "createClient", "username": login, "password": password,
                        "clientid": login, "textname": f"{access.kind} {access.device}",
                        "roles": access.role_refs()}])
        log.info("dynsec: device %s at %s can log in", access.device, access.site)

    def remove_device(self, device: str) -> None:
        """Delete the device's clients (the plugin disconnects them at once) and its role."""
        for login in (device, kitchen_login(device)):
            self.send([{"command": "deleteClient", "username": login}], _MISSING)
        self.send([{"command": "deleteRole", "rolename": device_role(device)}], _MISSING)
        log.info("dynsec: device %s removed", device)

    def add_service(self, username: str, password: str) -> None:
        """A hub service user (no client id binding: several workers share the login)."""
        self.send([{"command": "createRole", **hub_role()}], _ALREADY)
        self.send([{"command": "deleteClient", "username": username}], _MISSING)
        self.send([{"command": "createClient", "username": username, "password": password,
                    "textname": "hub service", "roles": [{"rolename": HUB_ROLE}]}])

    def client_names(self) -> list[str]:
        """Every client the plugin knows."""
        resp = self.send([{"command": "listClients", "verbose": False}])
        data = resp[0].get("data", {}) if resp else {}
        return [str(c) for c in data.get("clients", [])]
