"""``python -m hub.fleet``: issue/rotate/revoke broker credentials and write the broker's files."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session, select

from hub.db import make_engine
from hub.errors import ServiceError
from hub.fleet.broker_files import write_broker_files
from hub.fleet.credentials import (
    DeviceCredentials,
    issue_device_credentials,
    issue_service_credentials,
    revoke_device_credentials,
    revoke_service_credentials,
)
from hub.fleet.errors import UnknownDevice
from hub.migrate import upgrade_to_head
from hub.models.devices import Device
from hub.settings import Settings

EXIT_CONFIG = 2
EXIT_REFUSED = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hub.fleet",
                                description="per-device broker credentials and broker files")
    sub = p.add_subparsers(dest="command", required=True)
    issue = sub.add_parser("issue", help="issue or rotate a device's broker password")
    issue.add_argument("--device", required=True, help="device code (its broker user name)")
    issue.add_argument("--password-out", type=Path, default=None,
                       help="write the password to this file (mode 600) instead of stdout")
    svc = sub.add_parser("issue-service", help="issue or rotate a hub service user's password")
    svc.add_argument("--username", required=True, help="e.g. hub-ingest")
    svc.add_argument("--password-out", type=Path, default=None)
    rev = sub.add_parser("revoke", help="revoke a device's (or service user's) broker login")
    who = rev.add_mutually_exclusive_group(required=True)
    who.add_argument("--device", help="device code")
    who.add_argument("--service", help="service user name")
    out = sub.add_parser("write-broker-files", help="write canteen.passwd and canteen.acl")
    out.add_argument("--out", type=Path, required=True, help="directory, e.g. /etc/mosquitto")
    dyn = sub.add_parser("dynsec-init", help="write the dynamic security plugin's first file")
    dyn.add_argument("--out", type=Path, required=True,
                     help="e.g. /var/lib/mosquitto/dynsec.json (Mosquitto must own it)")
    dyn.add_argument("--admin-username", default="hub-dynsec")
    dyn.add_argument("--admin-password-file", type=Path, required=True,
                     help="the hub's plugin admin password (also CANTEEN_DYNSEC_PASSWORD_FILE)")
    bridge = sub.add_parser("bridge-config", help="print a site broker's bridge block")
    bridge.add_argument("--site", required=True, help="site code")
    bridge.add_argument("--central", required=True, help="central broker host:port")
    bridge.add_argument("--username", default=None)
    bridge.add_argument("--password-file", type=Path, default=None)
    bridge.add_argument("--cafile", type=Path, default=None, help="CA of the central broker")
    return p


OFFLINE = ("bridge-config",)


def _offline(args: argparse.Namespace) -> int:
    """Commands that need no settings or database."""
    from hub.fleet.bridge import BridgeSettings, render_bridge_config

    host, _, port = args.central.rpartition(":")
    if not host or not port.isdigit():
        print("config error: --central: host:port", file=sys.stderr)
        return EXIT_CONFIG
    password = args.password_file.read_text().strip() if args.password_file else None
    try:
        print(render_bridge_config(BridgeSettings(
            site=args.site, central_host=host, central_port=int(port), username=args.username,
            password=password, cafile=args.cafile)), end="")
    except ValueError as err:
        print(f"config error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


def _device_id(session: Session, code: str) -> int:
    device_id = session.exec(select(Device.id).where(Device.code == code)).first()
    if device_id is None:
        raise UnknownDevice(f"no device with code {code!r}")
    return device_id


def _show(creds: DeviceCredentials, out: Path | None) -> None:
    if out is None:
        print(f"username: {creds.username}\npassword: {creds.password}")
        print("(shown once; the hub keeps only hashes)")
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(creds.password + "\n")
    print(f"username: {creds.username}\npassword written to {out} (mode 600)")


def run(session: Session, args: argparse.Namespace) -> int:
    """Do one command on an open session; returns the exit code."""
    if args.command == "issue":
        _show(issue_device_credentials(session, device_id=_device_id(session, args.device)),
              args.password_out)
    elif args.command == "issue-service":
        _show(issue_service_credentials(session, username=args.username), args.password_out)
    elif args.command == "revoke":
        if args.device:
            done = revoke_device_credentials(session, device_id=_device_id(session, args.device))
        else:
            done = revoke_service_credentials(session, username=args.service)
        print("revoked" if done else "had no credentials")
    elif args.command == "dynsec-init":
        from hub.fleet.dynsec import broker_config_lines, write_dynsec_config

        path = write_dynsec_config(
            session, args.out, admin_username=args.admin_username,
            admin_password=args.admin_password_file.read_text().strip())
        print(f"wrote {path}; chown mosquitto: it saves its changes there")
        print("mosquitto.conf needs:\n" + broker_config_lines(path))
        print(f"hub env: CANTEEN_DYNSEC_USERNAME={args.admin_username} "
              f"CANTEEN_DYNSEC_PASSWORD_FILE={args.admin_password_file}")
    elif args.command == "write-broker-files":
        passwd, acl, files = write_broker_files(session, args.out)
        print(f"wrote {passwd} and {acl} ({len(files.users)} users)")
        print("mosquitto.conf needs: allow_anonymous false / "
              f"password_file {passwd} / acl_file {acl}")
        print("then reload the broker: systemctl reload mosquitto  (or kill -HUP <pid>)")
    if args.command in ("issue", "issue-service", "revoke"):
        print("now run write-broker-files and reload mosquitto for this to take effect")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m hub.fleet``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["monitor"]:
        # Presence, commands, rollouts and alerts (issue 16): its own loop and options.
        from hub.fleet.monitor import main as monitor_main

        return monitor_main(argv[1:])
    logging.basicConfig(level=logging.WARNING)
    args = _parser().parse_args(argv)
    if args.command in OFFLINE:
        return _offline(args)
    try:
        settings = Settings()
    except ValidationError as err:
        for e in err.errors():
            print(f"config error: {'.'.join(map(str, e['loc']))}: {e['msg']}", file=sys.stderr)
        return EXIT_CONFIG
    engine = make_engine(settings)
    try:
        upgrade_to_head(engine, schema=settings.db_schema)
        with Session(engine) as session:
            return run(session, args)
    except ServiceError as err:
        print(f"refused: {err.message}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        engine.dispose()
