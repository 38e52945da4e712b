"""Fleet security: per-device broker credentials and the site broker's password and ACL files."""

from hub.fleet.broker_files import BrokerFiles, render_broker_files, write_broker_files
from hub.fleet.credentials import (
    DeviceCredentials,
    issue_device_credentials,
    issue_service_credentials,
    revoke_device_credentials,
    revoke_service_credentials,
)

__all__ = [
    "BrokerFiles",
    "DeviceCredentials",
    "issue_device_credentials",
    "issue_service_credentials",
    "render_broker_files",
    "revoke_device_credentials",
    "revoke_service_credentials",
    "write_broker_files",
]
