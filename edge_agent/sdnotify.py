"""systemd's notify protocol (``sd_notify``) in a few lines of stdlib: READY=1 and WATCHDOG=1.

The kiosk's unit (systemd/canteen-kiosk@.service) is ``Type=notify`` with ``WatchdogSec``:
the screen says READY once its window is up and pings the watchdog from its UI loop, so a
frozen screen (not only a crashed one) is restarted. Outside systemd (no NOTIFY_SOCKET)
every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(state: str, *, env: dict[str, str] | None = None) -> bool:
    """Send one notify message (e.g. ``READY=1``); True when it was sent."""
    address = (env if env is not None else os.environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as err:
        log.warning("sd_notify %s failed: %s", state, err)
        return False
    return True


def watchdog_interval_s(*, env: dict[str, str] | None = None) -> float | None:
    """How often to ping: half of WATCHDOG_USEC (systemd's advice), or None without a watchdog."""
    values = env if env is not None else os.environ
    usec = values.get("WATCHDOG_USEC")
    # WATCHDOG_PID is not checked: the kiosk runs as the child of its compositor (cage),
    # which is the unit's main process; the unit allows it with NotifyAccess=all.
    if not usec:
        return None
    try:
        return max(int(usec) / 2_000_000, 0.5)
    except ValueError:
        return None
