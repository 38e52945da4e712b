"""Build a device object from its config entry (the `type` key chooses the class)."""

from __future__ import annotations

from hardware.camera.sources import OpenCvCamera, ReplayCamera
from hardware.config import (
    ContinuousScaleConfig,
    DeviceConfig,
    EscposNetworkPrinterConfig,
    EscposSerialPrinterConfig,
    EscposUsbPrinterConfig,
    HardwareConfig,
    LineCardReaderConfig,
    LineScannerConfig,
    OpenCvCameraConfig,
    Rdm6300ReaderConfig,
    ReplayCameraConfig,
)
from hardware.printer.device import EscposPrinter
from hardware.printer.queue import PrintQueue
from hardware.printer.service import ReceiptPrinting
from hardware.readers.devices import BarcodeScanner, LineCardReader, Rdm6300Reader
from hardware.scale import ContinuousScale

Device = (
    EscposPrinter
    | LineCardReader
    | Rdm6300Reader
    | BarcodeScanner
    | ContinuousScale
    | OpenCvCamera
    | ReplayCamera
)


def build_device(name: str, config: DeviceConfig) -> Device:
    """The driver for one configured device; nothing is opened or started yet."""
    match config:
        case EscposSerialPrinterConfig() | EscposUsbPrinterConfig() | EscposNetworkPrinterConfig():
            return EscposPrinter(name, config)
        case LineCardReaderConfig():
            return LineCardReader(config)
        case Rdm6300ReaderConfig():
            return Rdm6300Reader(config)
        case LineScannerConfig():
            return BarcodeScanner(config)
        case ContinuousScaleConfig():
            return ContinuousScale(config)
        case OpenCvCameraConfig():
            return OpenCvCamera(config)
        case ReplayCameraConfig():
            return ReplayCamera(config)
    raise TypeError(f"unsupported device config {config!r}")  # pragma: no cover


def build_receipt_printing(config: HardwareConfig) -> ReceiptPrinting | None:
    """Main (+ backup) printer and the print queue, when the config has a `receipt` section."""
    if config.receipt is None:
        return None
    main = build_device(config.receipt.main, config.devices[config.receipt.main])
    backup = (
        build_device(config.receipt.backup, config.devices[config.receipt.backup])
        if config.receipt.backup
        else None
    )
    assert isinstance(main, EscposPrinter)  # guaranteed by HardwareConfig's validator
    assert backup is None or isinstance(backup, EscposPrinter)
    return ReceiptPrinting(PrintQueue(config.receipt.queue_path), main, backup)
