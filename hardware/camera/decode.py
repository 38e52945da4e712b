"""Decode member and coupon QR codes from camera frames with pyzbar, robust to blur, noise, tilt."""

from __future__ import annotations

import cv2
import numpy as np
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

_QR = [ZBarSymbol.QRCODE]


def _gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame


def _zbar(gray: np.ndarray) -> list[str]:
    return [r.data.decode("utf-8", errors="replace") for r in zbar_decode(gray, symbols=_QR)]


def decode_full_frame(frame: np.ndarray) -> list[str]:
    """Baseline: pyzbar on the whole grayscale frame, all symbologies (the library default)."""
    return [r.data.decode("utf-8", errors="replace") for r in zbar_decode(_gray(frame))]


def decode_qr(frame: np.ndarray, max_side: int = 640) -> list[str]:
    """QR payloads in a BGR or gray frame; tries cheap passes first and stops at the first hit.

    1. downscale to `max_side`, 5x5 Gaussian blur + Otsu threshold, QR symbology only (fast, and
    rescues noise and tilt);  2. the raw downscaled frame;  3. median blur + Otsu;  4. full
    resolution (small codes).
    """
    gray = _gray(frame)
    h, w = gray.shape
    scale = min(1.0, max_side / max(h, w))
    small = cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    if found := _zbar(_binarise(small)):
        return found
    if found := _zbar(small):
        return found
    # Median blur keeps module edges sharper than Gaussian under heavy noise (dim, tilted codes).
    _, median = cv2.threshold(cv2.medianBlur(small, 5), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if found := _zbar(median):
        return found
    if scale < 1.0:
        if found := _zbar(_binarise(gray)):
            return found
        return _zbar(gray)
    return []


def _binarise(gray: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary
