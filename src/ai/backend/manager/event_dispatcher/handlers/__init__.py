"""Event handlers: translate events into actions run by the processors."""
