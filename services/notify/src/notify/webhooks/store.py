"""The webhooks' named queries and the wake-up rung when messages are queued."""

from __future__ import annotations

from pathlib import Path

from backbone.queries import Queries
from backbone.wakeups import Wakeup

q = Queries(Path(__file__).parent / "sql")
# Rung when messages are queued or replayed, so the worker in this process goes without waiting for its poll.
WEBHOOKS_QUEUED = Wakeup()
