"""What the events service consumes from the bus; the table at the bottom is the whole wiring.

Organisations and groups are referred to by id only. From the volunteers service it reads the
export and erasure requests of a volunteer (docs/rights.md) and answers each once (events.rights),
and the assignments of the helpers it asked for, which keep the count of confirmed ones (events.helpers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from backbone.consumer import Subscription
from backbone.envelope import Envelope
from events import helpers, rights
from events.links import Signer
from events.registrations import Context
from events.settings import Settings

# A handler of this service also takes what registration use cases need (the link signer, the
# clock): an erasure gives a freed place to the next in line, with an offer and its links.
EventsHandler = Callable[[asyncpg.Connection, Envelope, Any, Context], Awaitable[None]]


@dataclass(frozen=True)
class EventsSubscription:
    """A row of SUBSCRIPTIONS: a subject, the fields its handler reads, and the handler."""

    subject: str
    model: type[BaseModel]
    handler: EventsHandler


def subscriptions(settings: Settings) -> list[Subscription]:
    """The table below with the context handed to each handler (the composition root calls this).

    With `answers_rights_requests` off (the first provisioning step of a stack, before the
    volunteers stream exists) the volunteers' requests are not read."""
    signer = Signer(settings.link_key)

    def bound(handler: EventsHandler) -> Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]:
        async def handle(conn: asyncpg.Connection, event: Envelope, data: Any) -> None:
            await handler(
                conn, event, data, Context(signer=signer, zone=settings.zone, now=datetime.now(UTC))
            )

        return handle

    return [
        Subscription(row.subject, row.model, bound(row.handler))
        for row in SUBSCRIPTIONS
        # The assignment events are on the volunteers stream too: not read before it exists either.
        if settings.answers_rights_requests or not row.subject.startswith("volunteers.")
    ]


SUBSCRIPTIONS: list[EventsSubscription] = [
    # volunteers: a rights request (docs/rights.md) answered once, through the outbox:
    # events.export.completed.v1 with the person's registrations, or, after the erasure,
    # events.erasure.completed.v1
    EventsSubscription("volunteers.export.requested.v1", rights.RightsRequested, rights.answer("export")),
    EventsSubscription("volunteers.erasure.requested.v1", rights.RightsRequested, rights.answer("erasure")),
    # volunteers: the helpers confirmed for an event's request for helpers, counted once per assignment
    EventsSubscription(
        "volunteers.assignment.confirmed.v1", helpers.AssignmentConfirmed, helpers.assignment_confirmed
    ),
    EventsSubscription(
        "volunteers.assignment.cancelled.v1", helpers.AssignmentCancelled, helpers.assignment_cancelled
    ),
]
RIGHTS_REQUESTS = frozenset({"volunteers.export.requested.v1", "volunteers.erasure.requested.v1"})

# Subjects of the streams it reads that it deliberately does not handle: its durable receives the
# volunteers service's whole prefix (see notify's consumers.py).
IGNORED: frozenset[str] = frozenset(
    {
        "volunteers.volunteer.joined_pool.v1",
        "volunteers.volunteer.left_pool.v1",
        "volunteers.consent.given.v1",
        "volunteers.consent.withdrawn.v1",
        "volunteers.request.created.v1",
        "volunteers.request.filled.v1",
        "volunteers.request.cancelled.v1",
        "volunteers.offer.sent.v1",
        "volunteers.offer.accepted.v1",
        "volunteers.offer.declined.v1",
        "volunteers.offer.expired.v1",
        "volunteers.offer.withdrawn.v1",
        "volunteers.hours.approved.v1",
        "volunteers.review.submitted.v1",
        "volunteers.review.returned.v1",
        "volunteers.export.completed.v1",
        "volunteers.erasure.completed.v1",
    }
)
