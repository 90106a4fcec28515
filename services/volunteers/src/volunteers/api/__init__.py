"""The volunteers service's HTTP API: one router per resource, all included by name in app.py."""
