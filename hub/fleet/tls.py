"""TLS for the broker: the Mosquitto listener lines for certificates made by the site CA recipe.

The certificates come from ``scripts/make-site-ca`` (plain ``openssl``; docs/security.md):
one CA per site, a certificate for the site broker naming its host names and addresses.
Devices get the CA certificate (agent ``broker.tls_ca_file``, or in their claim grant when
the hub has ``CANTEEN_MQTT_TLS_CA_FILE``) and check the broker's name against it.
"""

from __future__ import annotations

from pathlib import Path

TLS_PORT = 8883
CA_FILE = "site-ca.crt"


def listener_lines(certs_dir: Path, broker_name: str, *, port: int = TLS_PORT,
                   bind: str | None = None) -> str:
    """A mosquitto.conf TLS listener using ``certs_dir``'s CA and the broker's certificate."""
    address = f" {bind}" if bind else ""
    return (
        f"listener {port}{address}\n"
        f"cafile {certs_dir / CA_FILE}\n"
        f"certfile {certs_dir / f'{broker_name}.crt'}\n"
        f"keyfile {certs_dir / f'{broker_name}.key'}\n"
        # TLS 1.2 is the oldest Mosquitto 2.0 and a Pi's OpenSSL still both speak well.
        "tls_version tlsv1.2\n"
    )
