"""Printer faults decoded from ESC/POS real-time status bytes (DLE EOT n), with zh/en messages."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from escpos.constants import RT_STATUS

#: DLE EOT n: 1 printer, 2 offline cause, 3 error cause, 4 roll paper sensor.
QUERY_PRINTER = RT_STATUS + b"\x01"
QUERY_OFFLINE = RT_STATUS + b"\x02"
QUERY_ERROR = RT_STATUS + b"\x03"
QUERY_PAPER = RT_STATUS + b"\x04"
QUERIES = (QUERY_PRINTER, QUERY_OFFLINE, QUERY_ERROR, QUERY_PAPER)


class PrinterFault(enum.Enum):
    """A condition the kiosk shows and the agent reports; value is a stable code."""

    NO_RESPONSE = "no_response"
    DISCONNECTED = "disconnected"
    OFFLINE = "offline"
    COVER_OPEN = "cover_open"
    PAPER_OUT = "paper_out"
    PAPER_NEAR_END = "paper_near_end"
    CUTTER_ERROR = "cutter_error"
    UNRECOVERABLE = "unrecoverable_error"
    BAD_REPLY = "bad_reply"

    @property
    def blocks_printing(self) -> bool:
        """False only for warnings (paper near its end still prints)."""
        return self is not PrinterFault.PAPER_NEAR_END

    @property
    def message_zh(self) -> str:
        """Chinese message for the screen."""
        return _MESSAGES[self][0]

    @property
    def message_en(self) -> str:
        """English message for the screen."""
        return _MESSAGES[self][1]


_MESSAGES = {
    PrinterFault.NO_RESPONSE: ("打印机无响应", "Printer does not respond"),
    PrinterFault.DISCONNECTED: ("打印机未连接", "Printer is disconnected"),
    PrinterFault.OFFLINE: ("打印机离线", "Printer is offline"),
    PrinterFault.COVER_OPEN: ("打印机盖未关", "Printer cover is open"),
    PrinterFault.PAPER_OUT: ("打印机缺纸", "Printer is out of paper"),
    PrinterFault.PAPER_NEAR_END: ("打印纸即将用完", "Paper is running low"),
    PrinterFault.CUTTER_ERROR: ("切刀故障", "Paper cutter error"),
    PrinterFault.UNRECOVERABLE: ("打印机故障", "Printer error"),
    PrinterFault.BAD_REPLY: ("打印机状态异常", "Printer sent an invalid status"),
}


@dataclass(frozen=True)
class PrinterStatus:
    """Faults found by one status poll; empty means ready."""

    faults: frozenset[PrinterFault] = field(default_factory=frozenset)

    @property
    def ready(self) -> bool:
        """True when nothing blocks printing (warnings allowed)."""
        return not any(f.blocks_printing for f in self.faults)

    def messages(self) -> list[tuple[str, str]]:
        """(zh, en) message pairs, most serious first."""
        order = list(PrinterFault)
        return [(f.message_zh, f.message_en) for f in sorted(self.faults, key=order.index)]


def _valid(byte: int) -> bool:
    # Every DLE EOT reply has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0.
    return byte & 0b1001_0011 == 0b0001_0010


def decode_status(printer: int, offline: int, error: int, paper: int) -> PrinterStatus:
    """Faults from the four DLE EOT 1/2/3/4 reply bytes (ESC/POS application guide bit layout)."""
    if not all(_valid(b) for b in (printer, offline, error, paper)):
        return PrinterStatus(frozenset({PrinterFault.BAD_REPLY}))
    faults: set[PrinterFault] = set()
    if printer & 0x08:
        faults.add(PrinterFault.OFFLINE)
    if offline & 0x04:
        faults.add(PrinterFault.COVER_OPEN)
    if offline & 0x20 or paper & 0x60:
        faults.add(PrinterFault.PAPER_OUT)
    elif paper & 0x0C:
        faults.add(PrinterFault.PAPER_NEAR_END)
    if error & 0x08:
        faults.add(PrinterFault.CUTTER_ERROR)
    if error & 0x20:
        faults.add(PrinterFault.UNRECOVERABLE)
    # Cover open / paper out explain the offline bit; keep OFFLINE only when it stands alone.
    if faults & {PrinterFault.COVER_OPEN, PrinterFault.PAPER_OUT}:
        faults.discard(PrinterFault.OFFLINE)
    return PrinterStatus(frozenset(faults))


def status_of(fault: PrinterFault) -> PrinterStatus:
    """A status carrying one fault (no reply, disconnected)."""
    return PrinterStatus(frozenset({fault}))
