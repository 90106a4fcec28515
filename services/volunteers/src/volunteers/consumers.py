"""What the volunteers service consumes from the bus; the table at the bottom is the whole wiring.

An event that needs helpers or instructors (`events.helpers.requested.v1`) becomes a request of the
pool it names, and its first offers go out, as when staff ask. The events service's id for the ask
is the request's `source_ref`, so a redelivered ask makes no second request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, Field, StringConstraints

from backbone.consumer import Subscription
from backbone.envelope import Envelope
from backbone.errors import RuleError
from backbone.logs import get_logger
from volunteers import requests
from volunteers.links import Signer
from volunteers.model import NewRequest
from volunteers.offers import Context
from volunteers.settings import Settings
from volunteers.sql_queries import q

log = get_logger(__name__)


class HelpersRequested(BaseModel):
    """Held to the API's bounds (schemas/requests.py): an ask out of them is unreadable, so the
    consumer logs it and sets it aside instead of making a request nobody could have made."""

    request_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    pool_key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    seats: int = Field(ge=1, le=200)
    starts_at: datetime
    ends_at: datetime
    place: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None
    needs: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5_000)]
    requested_by: Annotated[str, StringConstraints(min_length=1, max_length=200)]


# A handler of this service also takes the context offers need (the link signer, the clock).
VolunteersHandler = Callable[[asyncpg.Connection, Envelope, Any, Context], Awaitable[None]]


async def helpers_requested(
    conn: asyncpg.Connection, _event: Envelope, data: HelpersRequested, ctx: Context
) -> None:
    pool = await q.get_pool_by_key.fetchrow(conn, key=data.pool_key)
    if pool is None:
        # Retrying will not make the pool appear; the events service's page shows no answer, and
        # the log says why (which pool, never who).
        log.warning(
            "helpers asked of a pool that does not exist", pool_key=data.pool_key, ask=data.request_id
        )
        return
    ask = NewRequest(
        pool_id=pool["id"],
        seats=data.seats,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place or "",
        needs=data.needs,
    )
    try:
        await requests.create_request(
            conn=conn, request=ask, ctx=ctx, requested_by=data.requested_by, requested_by_name=None,
            source="events", source_ref=data.request_id,
        )  # fmt: skip
    except RuleError as exc:
        # A closed pool, or a time already past: the ask cannot become a request, now or later.
        log.warning("helpers ask not taken", pool_key=data.pool_key, ask=data.request_id, reason=str(exc))


@dataclass(frozen=True)
class VolunteersSubscription:
    """A row of SUBSCRIPTIONS: a subject, the fields its handler reads, and the handler."""

    subject: str
    model: type[BaseModel]
    handler: VolunteersHandler


def subscriptions(settings: Settings) -> list[Subscription]:
    """The table below with the context handed to each handler (the composition root calls this)."""
    signer = Signer(settings.link_key)

    def bound(handler: VolunteersHandler) -> Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]:
        async def handle(conn: asyncpg.Connection, event: Envelope, data: Any) -> None:
            ctx = Context(
                signer=signer, zone=settings.zone, now=datetime.now(UTC), window_days=settings.fairness_days
            )
            await handler(conn, event, data, ctx)

        return handle

    return [Subscription(row.subject, row.model, bound(row.handler)) for row in SUBSCRIPTIONS]


SUBSCRIPTIONS: list[VolunteersSubscription] = [
    VolunteersSubscription("events.helpers.requested.v1", HelpersRequested, helpers_requested),
]
# Subjects of the streams it reads that it deliberately does not handle: its durable receives the
# events service's whole prefix (see notify's consumers.py).
IGNORED: frozenset[str] = frozenset(
    {
        "events.event.published.v1",
        "events.event.changed.v1",
        "events.event.cancelled.v1",
        "events.registration.created.v1",
        "events.registration.cancelled.v1",
        "events.registration.promoted.v1",
        "events.registration.checked_in.v1",
        "events.registration.event_cancelled.v1",
        "events.registration.event_changed.v1",
        "events.offer.made.v1",
        "events.offer.accepted.v1",
        "events.offer.declined.v1",
        "events.offer.expired.v1",
        "events.reminder.due.v1",
        # The events service's answers to rights requests: read by the answer wiring instead
        # (rights.answer_wiring, in create_app) while events is among VOLUNTEERS_RIGHTS_SERVICES.
        "events.export.completed.v1",
        "events.erasure.completed.v1",
    }
)
