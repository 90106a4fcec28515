"""Notify service: turns what happens on the bus into emails (and later signed webhooks)."""
