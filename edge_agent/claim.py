"""``canteen-agent claim``: trade a one-time code for this device's identity and broker login.

The installer types the code shown on the hub's claim page (or scans its QR); the hub
answers once with the site, the device's code and its broker password. This writes the
agent's config and a password file (mode 600) and never prints the password.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from edge_agent.config import load_config
from edge_agent.errors import EdgeError
from protocol.claim import CLAIM_PATH, ClaimGrant, ClaimRequest, parse_claim_qr

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4


class ClaimFailed(Exception):
    """The hub refused the code or could not be reached; ``exit_code`` says which."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def request_claim(hub_url: str, code: str, *, ca_file: Path | None = None,
                  timeout: float = 15.0) -> ClaimGrant:
    """POST the code to the hub and return its grant; ClaimFailed says why not."""
    body = ClaimRequest(code=code).model_dump_json().encode()
    req = urllib.request.Request(
        hub_url.rstrip("/") + CLAIM_PATH, data=body, method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as err:
        detail = _detail(err.read())
        code_ = EXIT_UNREACHABLE if err.code >= 500 else EXIT_REFUSED
        raise ClaimFailed(f"the hub refused the claim ({err.code}): {detail}", code_) from err
    except (urllib.error.URLError, OSError) as err:
        raise ClaimFailed(f"cannot reach the hub at {hub_url}: {err}", EXIT_UNREACHABLE) from err
    try:
        return ClaimGrant.model_validate_json(raw)
    except ValidationError as err:
        raise ClaimFailed(f"the hub's answer is not a claim grant: {err}", EXIT_REFUSED) from err


def _detail(raw: bytes) -> str:
    try:
        detail = json.loads(raw).get("detail")
    except (ValueError, AttributeError):
        return raw[:200].decode(errors="replace")
    return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    tmp.replace(path)


def _toml_str(value: str | Path) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML string


def render_config(grant: ClaimGrant, *, store_path: Path, password_file: Path,
                  ca_file: Path | None) -> str:
    """The agent's TOML config for a claimed device."""
    lines = [
        "# Written by `canteen-agent claim` from the hub's claim grant.",
        f"site_id = {_toml_str(grant.site)}",
        f"device_id = {_toml_str(grant.device)}",
        f"store_path = {_toml_str(store_path)}",
        f"timezone = {_toml_str(grant.timezone)}",
        "",
        "[broker]",
        f"host = {_toml_str(grant.broker_host)}",
        f"port = {grant.broker_port}",
        f"username = {_toml_str(grant.username)}",
        f"password_file = {_toml_str(password_file)}",
    ]
    if ca_file is not None:
        lines.append(f"tls_ca_file = {_toml_str(ca_file)}")
    return "\n".join(lines) + "\n"


def save_grant(grant: ClaimGrant, *, config_out: Path, password_out: Path, store_path: Path,
               ca_out: Path | None = None) -> Path:
    """Write the password, the CA (with TLS) and the config; returns the config's path."""
    _write_private(password_out, grant.password + "\n")
    ca_file = None
    if grant.tls_ca_pem:
        ca_file = ca_out or config_out.with_name("broker-ca.crt")
        ca_file.parent.mkdir(parents=True, exist_ok=True)
        ca_file.write_text(grant.tls_ca_pem, encoding="utf-8")
    _write_private(config_out, render_config(grant, store_path=store_path,
                                             password_file=password_out, ca_file=ca_file))
    return config_out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="canteen-agent claim", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--code", help="the one-time code shown by the hub (needs --hub)")
    src.add_argument("--qr", help="the text of the hub's claim QR (holds hub and code)")
    p.add_argument("--hub", help="the hub's address, e.g. https://hub.example:8000")
    p.add_argument("--hub-ca", type=Path, help="CA file to trust the hub's HTTPS certificate")
    p.add_argument("--config-out", type=Path, required=True, help="agent TOML to write")
    p.add_argument("--password-out", type=Path, required=True,
                   help="broker password file to write (mode 600)")
    p.add_argument("--store-path", type=Path, required=True, help="the device's SQLite store")
    p.add_argument("--ca-out", type=Path, help="where to save the broker's CA (TLS)")
    p.add_argument("--force", action="store_true", help="replace an existing config")
    return p


def main(argv: Sequence[str]) -> int:
    """Entry point of ``canteen-agent claim``; exit 0 claimed, 2 usage, 3 refused, 4 unreachable."""
    args = _parser().parse_args(argv)
    try:
        if args.qr:
            hub_url, code = parse_claim_qr(args.qr)
        elif args.hub:
            hub_url, code = args.hub, args.code
        else:
            raise ValueError("--code needs --hub")
        ClaimRequest(code=code)
    except (ValueError, ValidationError) as err:
        print(f"canteen-agent claim: {err}", file=sys.stderr)
        return EXIT_USAGE
    if args.config_out.exists() and not args.force:
        print(f"canteen-agent claim: {args.config_out} exists (this device is claimed); "
              "--force replaces it", file=sys.stderr)
        return EXIT_USAGE
    try:
        grant = request_claim(hub_url, code, ca_file=args.hub_ca)
    except ClaimFailed as err:
        print(f"canteen-agent claim: {err}", file=sys.stderr)
        return err.exit_code
    path = save_grant(grant, config_out=args.config_out, password_out=args.password_out,
                      store_path=args.store_path, ca_out=args.ca_out)
    try:
        load_config(path)
    except EdgeError as err:  # the hub sent something this agent cannot run with
        print(f"canteen-agent claim: {err}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"claimed: device {grant.device} ({grant.kind}) at site {grant.site}; "
          f"config {path}, password in {args.password_out}")
    if grant.kitchen_username:
        print(f"kitchen link logs in as {grant.kitchen_username} with the same password")
    return EXIT_OK
