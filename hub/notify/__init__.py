"""Notifications to members: an outbox, channels (kiosk greeting, e-mail, SMS), templates per
language, and a dispatcher that checks consent, quiet hours and frequency caps at send time.
See docs/notifications.md."""
