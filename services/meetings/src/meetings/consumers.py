"""What the meetings service consumes from the bus; the table at the bottom is the whole wiring."""

from __future__ import annotations

from backbone.consumer import Subscription

# Meetings owns organisations, people and meetings and consumes nothing yet.
SUBSCRIPTIONS: list[Subscription] = []
# Subjects of the streams it reads that it deliberately does not handle (see notify's consumers.py).
IGNORED: frozenset[str] = frozenset()
