"""Device drivers for canteen kiosks: printers, readers, scanners, scales, cameras, simulators.

A library: it imports nothing else of canteen-edge, and nothing connects at import time.
"""
