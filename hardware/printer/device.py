"""One ESC/POS printer through a python-escpos connector: lazy open, reconnect, status, send."""

from __future__ import annotations

import contextlib
import logging
import termios

import serial
from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError

from hardware.config import (
    EscposNetworkPrinterConfig,
    EscposSerialPrinterConfig,
    EscposUsbPrinterConfig,
    PrinterConfig,
)
from hardware.printer.render import fit_profile_width
from hardware.printer.status import QUERIES, PrinterFault, PrinterStatus, decode_status, status_of

log = logging.getLogger(__name__)


class PrinterError(Exception):
    """Sending to the printer failed; `fault` says why."""

    def __init__(self, fault: PrinterFault, detail: str = "") -> None:
        """Carry the fault and a technical detail for the log."""
        super().__init__(
            f"{fault.message_en} ({fault.message_zh}){': ' + detail if detail else ''}"
        )
        self.fault = fault


def open_connector(config: PrinterConfig) -> Escpos:
    """Open the python-escpos connector this config names (raises on failure)."""
    from escpos import printer as connectors

    conn: Escpos
    if isinstance(config, EscposSerialPrinterConfig):
        conn = connectors.Serial(
            devfile=config.port,
            baudrate=config.baud,
            timeout=config.timeout_s,
            dsrdtr=False,
            profile=config.profile,
        )
        conn.open()
        # Without a write timeout a write blocks forever when the printer stops reading.
        conn.device.write_timeout = config.write_timeout_s
    elif isinstance(config, EscposUsbPrinterConfig):
        conn = connectors.Usb(config.vendor_id, config.product_id, profile=config.profile)
        conn.open()
    elif isinstance(config, EscposNetworkPrinterConfig):
        conn = connectors.Network(
            config.host, port=config.tcp_port, timeout=config.timeout_s, profile=config.profile
        )
        conn.open()
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"not a printer config: {config!r}")
    fit_profile_width(conn, config.paper_mm)
    return conn


class EscposPrinter:
    """A receipt printer that reopens itself after a cable pull and never invents a status."""

    def __init__(self, name: str, config: PrinterConfig) -> None:
        """Nothing is opened until the first status() or send()."""
        self.name = name
        self.config = config
        self._conn: Escpos | None = None

    def _connection(self) -> Escpos:
        if self._conn is None:
            self._conn = open_connector(self.config)
            log.info("printer %s connected", self.name)
        return self._conn

    def close(self) -> None:
        """Close the connection (reopened on next use)."""
        if self._conn is not None:
            try:
                self._conn.close()
            except (OSError, termios.error, serial.SerialException, EscposError):
                # The port is gone (flush fails with EIO): drop it without flushing.
                dev = self._conn.device
                if isinstance(dev, serial.Serial):
                    with contextlib.suppress(OSError):
                        dev.close()
                self._conn.device = False
            self._conn = None

    def _query(self, conn: Escpos, command: bytes) -> bytes:
        dev = conn.device
        if isinstance(dev, serial.Serial):
            # python-escpos' query_status reads 16 bytes, i.e. always waits the full timeout on a
            # serial line; a DLE EOT reply is one byte, so read one. Stale bytes are dropped first.
            dev.reset_input_buffer()
            dev.write(command)
            return bytes(dev.read(1))
        return bytes(conn.query_status(command))

    def status(self) -> PrinterStatus:
        """Poll DLE EOT 1-4; no reply is NO_RESPONSE (never 'online'), no port is DISCONNECTED."""
        try:
            conn = self._connection()
        except (OSError, serial.SerialException, EscposError, ValueError) as err:
            log.debug("printer %s cannot open: %s", self.name, err)
            return status_of(PrinterFault.DISCONNECTED)
        replies = []
        try:
            for command in QUERIES:
                reply = self._query(conn, command)
                if not reply:
                    return status_of(PrinterFault.NO_RESPONSE)
                replies.append(reply[0])
        except (OSError, serial.SerialException, EscposError) as err:
            log.info("printer %s lost: %s", self.name, err)
            self.close()
            return status_of(PrinterFault.DISCONNECTED)
        return decode_status(*replies)

    def send(self, data: bytes) -> None:
        """Write the bytes and wait until they left the port; PrinterError when they could not."""
        try:
            conn = self._connection()
            conn._raw(data)
            dev = conn.device
            if isinstance(dev, serial.Serial):
                dev.flush()
        except (OSError, serial.SerialException, EscposError, ValueError) as err:
            self.close()
            raise PrinterError(PrinterFault.DISCONNECTED, str(err)) from err
