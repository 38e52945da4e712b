"""Device configuration as it appears in the kiosk's config file, chosen by a `type` key."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _SerialPort(_Config):
    port: str = Field(
        title="Port", description="Device path; prefer a stable one such as /dev/serial/by-id/..."
    )
    baud: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = Field(
        default=9600,
        title="Baud rate",
        description="Line speed; 8 data bits, no parity, 1 stop bit.",
    )
    reconnect_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        title="Reconnect delay",
        description="Seconds between reopen attempts.",
    )


class _Printer(_Config):
    profile: str = Field(
        default="default",
        title="python-escpos profile",
        description="Name from escpos capabilities.",
    )
    paper_mm: Literal[58, 80] = Field(
        default=80, title="Paper width", description="58 or 80 mm roll."
    )
    text_mode: Literal["gb18030", "raster"] = Field(
        default="gb18030",
        title="Chinese text",
        description="gb18030: the printer has a Chinese font (FS &); raster: send an image.",
    )
    timeout_s: float = Field(default=1.0, gt=0, le=10, title="Status timeout")
    tear_feed_lines: int = Field(
        default=8,
        ge=0,
        le=30,
        title="Feed to the tear bar",
        description="Lines fed after the receipt on printers without a cutter (1/6 in each).",
    )

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        from escpos.capabilities import CAPABILITIES  # imported late: it loads a large JSON

        from hardware.printer.profiles import is_receipt_printer

        if value not in CAPABILITIES["profiles"]:
            raise ValueError(f"unknown python-escpos profile {value!r}")
        if not is_receipt_printer(value):
            raise ValueError(f"python-escpos profile {value!r} is a display: it prints no image")
        return value


class EscposSerialPrinterConfig(_SerialPort, _Printer):
    """ESC/POS printer on a serial (or USB-serial) port."""

    type: Literal["escpos_serial"]
    write_timeout_s: float = Field(default=5.0, gt=0, le=60, title="Write timeout")


class EscposUsbPrinterConfig(_Printer):
    """ESC/POS printer on USB (python-escpos Usb connector, needs pyusb)."""

    type: Literal["escpos_usb"]
    vendor_id: int = Field(ge=0, le=0xFFFF, title="USB vendor id")
    product_id: int = Field(ge=0, le=0xFFFF, title="USB product id")


class EscposNetworkPrinterConfig(_Printer):
    """ESC/POS printer on TCP (raw port 9100)."""

    type: Literal["escpos_network"]
    host: str = Field(min_length=1, title="Host")
    tcp_port: int = Field(default=9100, ge=1, le=65535, title="TCP port")


class LineCardReaderConfig(_SerialPort):
    """Card reader that sends the card number followed by CR/LF."""

    type: Literal["card_line"]
    pattern: str = Field(
        default=r"[0-9A-Fa-f]{4,20}", title="Card number pattern", description="Full-match regex."
    )
    debounce_s: float = Field(default=2.0, ge=0, le=30, title="Same-card debounce window")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"pattern does not compile: {err}") from err
        return value


class Rdm6300ReaderConfig(_SerialPort):
    """RDM6300 125 kHz reader: STX, 10 hex data, 2 hex XOR checksum, ETX."""

    type: Literal["card_rdm6300"]
    debounce_s: float = Field(default=2.0, ge=0, le=30, title="Same-card debounce window")


class LineScannerConfig(_SerialPort):
    """Barcode/QR scanner in serial mode, one code per CR/LF-terminated line."""

    type: Literal["scanner_line"]
    debounce_s: float = Field(default=1.0, ge=0, le=30, title="Same-code debounce window")
    max_length: int = Field(default=512, ge=1, le=4096, title="Longest code accepted")


class ContinuousScaleConfig(_SerialPort):
    """Scale streaming "ST,GS,+0001.234kg" lines continuously."""

    type: Literal["scale_continuous"]
    stable_window_s: float = Field(default=0.5, gt=0, le=5, title="Stability window")
    stable_tolerance_g: int = Field(default=2, ge=0, le=100, title="Stability tolerance (g)")


class OpenCvCameraConfig(_Config):
    """A camera OpenCV can open (index or device path)."""

    type: Literal["camera_opencv"]
    device: int | str = Field(default=0, title="Camera index or path")
    width: int = Field(default=640, ge=160, le=3840)
    height: int = Field(default=480, ge=120, le=2160)


class ReplayCameraConfig(_Config):
    """Frames replayed from a directory of images or a video file (tests, demo)."""

    type: Literal["camera_replay"]
    path: str = Field(min_length=1, title="Image directory or video file")
    loop: bool = Field(default=True, title="Start again at the end")


PrinterConfig = EscposSerialPrinterConfig | EscposUsbPrinterConfig | EscposNetworkPrinterConfig
DeviceConfig = Annotated[
    EscposSerialPrinterConfig
    | EscposUsbPrinterConfig
    | EscposNetworkPrinterConfig
    | LineCardReaderConfig
    | Rdm6300ReaderConfig
    | LineScannerConfig
    | ContinuousScaleConfig
    | OpenCvCameraConfig
    | ReplayCameraConfig,
    Field(discriminator="type"),
]


class ReceiptPrintingConfig(_Config):
    """Which printers print receipts, and where the print queue lives."""

    main: str = Field(title="Main printer", description="Name of a printer in `devices`.")
    backup: str | None = Field(default=None, title="Backup printer")
    queue_path: str = Field(title="Print queue file", description="SQLite file on the device.")


class HardwareConfig(_Config):
    """All devices of one kiosk, by name."""

    devices: dict[str, DeviceConfig] = Field(default_factory=dict)
    receipt: ReceiptPrintingConfig | None = None

    @model_validator(mode="after")
    def _receipt_printers_exist(self) -> HardwareConfig:
        if self.receipt is None:
            return self
        names = [self.receipt.main] + ([self.receipt.backup] if self.receipt.backup else [])
        for name in names:
            device = self.devices.get(name)
            if device is None:
                raise ValueError(f"receipt printer {name!r} is not in devices")
            if not isinstance(device, PrinterConfig):
                raise ValueError(f"receipt printer {name!r} is a {device.type}, not a printer")
        if self.receipt.backup == self.receipt.main:
            raise ValueError("backup printer must differ from the main printer")
        return self
