"""The request id that travels from an HTTP request into outbox rows, NATS headers, logs and emails."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

import structlog

REQUEST_ID_HEADER = "X-Request-ID"
_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def bind_request_id(request_id: str | None) -> str:
    """Make `request_id` (or a new one) current for this task and its logs; returns it."""
    rid = request_id or new_request_id()
    _current.set(rid)
    structlog.contextvars.bind_contextvars(request_id=rid)
    return rid


def clean_request_id(value: str | None) -> str | None:
    """Accept a caller's request id only if it is short and printable, so it cannot poison logs."""
    if not value or len(value) > 128 or not all(c.isalnum() or c in "-_.:" for c in value):
        return None
    return value
