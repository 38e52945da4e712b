"""Cameras: frame sources (OpenCV device or replayed files) and QR decoding with pyzbar."""
