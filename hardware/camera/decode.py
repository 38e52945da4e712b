"""Decode member and coupon QR codes from camera frames: zxing-cpp first, extra passes if needed.

Measured with `bench/hardware_qr.py` on seeded hard frames (small, dim, low-contrast, noisy,
tilted codes): zxing-cpp on a lightly blurred frame reads more than pyzbar's best staged
pipeline at a tenth of its time; a 3x3 Gaussian blur is the cheapest pass and the one that
rescues most noisy frames. Each later pass is there because it reads frames the earlier ones
miss (see docs/hardware.md); a frame without a code goes through all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import cv2
import numpy as np
import zxingcpp
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

_QR = [ZBarSymbol.QRCODE]
#: QR Model 2 only: zxing-cpp 3's `QRCode` family also reads Micro QR, and a counter top's
#: texture decodes as a phantom Micro QR now and then ("03513" beside a member's code).
ZX_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2)


def _gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame


def zxing_qr(gray: np.ndarray, downscale: bool = True) -> list[str]:
    """zxing-cpp on a grayscale image, QR only; QR finder patterns need no 90° retries."""
    return [
        r.text
        for r in zxingcpp.read_barcodes(
            gray, formats=ZX_QR, try_rotate=False, try_invert=False, try_downscale=downscale
        )
    ]


def _fit(gray: np.ndarray, max_side: int) -> np.ndarray:
    h, w = gray.shape
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return gray
    return cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)


def _blur3(gray: np.ndarray) -> list[str]:
    return zxing_qr(cv2.GaussianBlur(gray, (3, 3), 0))


def _median3(gray: np.ndarray) -> list[str]:
    # Keeps module edges sharper than a Gaussian under salt-like sensor noise.
    return zxing_qr(cv2.medianBlur(gray, 3))


def _upscaled(gray: np.ndarray) -> list[str]:
    # Modules of 3 px: 1.5x cubic upscale + 5x5 blur gives the binarizer whole modules to sample.
    big = cv2.resize(gray, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
    return zxing_qr(cv2.GaussianBlur(big, (5, 5), 0), downscale=False)


def _clahe(gray: np.ndarray) -> list[str]:
    # Dim screens with low contrast: local contrast equalisation before the blur.
    equalised = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)
    return zxing_qr(cv2.GaussianBlur(equalised, (5, 5), 0))


#: The passes on the (downscaled) frame, cheapest and most productive first.
PASSES: tuple[tuple[str, Callable[[np.ndarray], list[str]]], ...] = (
    ("blur3", _blur3),
    ("median3", _median3),
    ("upscaled", _upscaled),
    ("clahe", _clahe),
)


def _plan(frame: np.ndarray, max_side: int) -> Iterator[tuple[str, Callable[[], list[str]]]]:
    gray = _gray(frame)
    small = _fit(gray, max_side)
    yield "blur3", lambda: _blur3(small)
    if small is not gray:
        yield "blur3 full size", lambda: _blur3(gray)
    for name, decode in PASSES[1:]:
        yield name, partial(decode, small)


def decode_qr(frame: np.ndarray, max_side: int = 640) -> list[str]:
    """QR payloads in a BGR or gray frame; stops at the first pass that reads one.

    The frame is first fitted to `max_side` (a 1280x720 camera sees the same code 1.5x larger,
    so little is lost); when that finds nothing, the blur pass runs once more at full size for
    codes too small to survive the downscale, then the other passes on the fitted frame.
    """
    for _, attempt in _plan(frame, max_side):
        if found := attempt():
            return found
    return []


def reading_pass(frame: np.ndarray, payload: str, max_side: int = 640) -> str | None:
    """The name of the first pass of `decode_qr` that reads `payload` (for the bench)."""
    for name, attempt in _plan(frame, max_side):
        found = attempt()
        if found:
            return name if found == [payload] else None
    return None


def decode_full_frame(frame: np.ndarray) -> list[str]:
    """Baseline: pyzbar on the whole grayscale frame, all symbologies (the library default)."""
    return [r.data.decode("utf-8", errors="replace") for r in zbar_decode(_gray(frame))]


def _zbar(gray: np.ndarray) -> list[str]:
    return [r.data.decode("utf-8", errors="replace") for r in zbar_decode(gray, symbols=_QR)]


def decode_qr_pyzbar(frame: np.ndarray, max_side: int = 640) -> list[str]:
    """The former staged pyzbar decoder, kept as the bench's baseline.

    1. downscale to `max_side`, 5x5 Gaussian blur + Otsu threshold, QR only; 2. the raw
    downscaled frame; 3. median blur + Otsu; 4. full resolution.
    """
    gray = _gray(frame)
    small = _fit(gray, max_side)
    if found := _zbar(_binarise(small)):
        return found
    if found := _zbar(small):
        return found
    _, median = cv2.threshold(cv2.medianBlur(small, 5), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if found := _zbar(median):
        return found
    if small is not gray:
        if found := _zbar(_binarise(gray)):
            return found
        return _zbar(gray)
    return []


def _binarise(gray: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary
