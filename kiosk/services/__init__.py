"""UI-free services of the kiosk: store, hardware, clock and connectivity behind small APIs."""
