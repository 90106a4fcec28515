"""Prometheus metrics every service exposes at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
# Any token a client sends is a method to the HTTP parser; only these get a series of their own.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


HTTP_LATENCY = Histogram("http_request_seconds", "HTTP request duration", ["service", "route"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Events published by the relay", ["service"])
OUTBOX_SET_ASIDE = Counter(
    "outbox_set_aside_total", "Outbox rows the relay set aside: they can never be published", ["service"]
)
OUTBOX_SET_ASIDE_ROWS = Gauge(
    "outbox_set_aside_rows", "Outbox rows set aside and waiting for an operator", ["service"]
)
CONSUMER_LAG = Gauge("consumer_lag", "Messages waiting for a consumer", ["service", "consumer"])
EVENTS_HANDLED = Counter(
    "events_handled_total", "Events handled by consumers", ["service", "consumer", "outcome"]
)
DEAD_LETTERS = Counter(
    "dead_letters_total", "Messages sent to the dead-letter stream", ["service", "consumer"]
)
