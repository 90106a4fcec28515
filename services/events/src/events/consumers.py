"""What the events service consumes from the bus; the table at the bottom is the whole wiring."""

from __future__ import annotations

from backbone.consumer import Subscription

# Events consumes nothing yet: organisations and groups are referred to by id only. The read models
# of meetings' organisations and of volunteers' answers come with the issues that need them.
SUBSCRIPTIONS: list[Subscription] = []
# Subjects of the streams it reads that it deliberately does not handle (see notify's consumers.py).
IGNORED: frozenset[str] = frozenset()
