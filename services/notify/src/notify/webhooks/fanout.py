"""From events on the bus to webhook messages: one per endpoint that takes the topic.

Each handler runs in the consumer's transaction with its inbox row, declares only the ids it reads
(never a name or an address: payloads are thin), and adds nothing for a redelivered event.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from pydantic import BaseModel

from backbone.envelope import Envelope
from backbone.logs import get_logger
from notify.settings import Settings
from notify.webhooks import topics
from notify.webhooks.store import WEBHOOKS_QUEUED, q

log = get_logger(__name__)


class EventNotice(BaseModel):
    event_id: str


class MinutesNotice(BaseModel):
    minutes_id: str
    meeting_id: str


class RegistrationCreatedNotice(BaseModel):
    registration_id: str
    event_id: str
    status: str
    organisation_id: str | None = None


class RegistrationCancelledNotice(BaseModel):
    registration_id: str
    event_id: str


async def fan_out(
    conn: asyncpg.Connection,
    *,
    topic: str,
    event: Envelope,
    data: dict[str, str],
    organisation_id: uuid.UUID | None = None,
) -> None:
    now = datetime.now(UTC)
    await q.fan_out.execute(
        conn,
        topic=topic,
        cause_event_id=uuid.UUID(event.id),
        body=topics.body(topic, event.time, data),
        now=now,
        organisation_id=organisation_id,
    )
    WEBHOOKS_QUEUED.ring()


def to_topic(
    topic: str,
) -> Callable[[asyncpg.Connection, Envelope, EventNotice, Settings], Awaitable[None]]:
    async def handle(
        conn: asyncpg.Connection, event: Envelope, data: EventNotice, settings: Settings
    ) -> None:
        link = topics.event_link(settings.public_url, data.event_id)
        await fan_out(conn, topic=topic, event=event, data={"event_id": data.event_id, "url": link})

    return handle


async def minutes_published(
    conn: asyncpg.Connection, event: Envelope, data: MinutesNotice, settings: Settings
) -> None:
    link = topics.minutes_link(settings.public_url, data.meeting_id)
    payload = {"minutes_id": data.minutes_id, "meeting_id": data.meeting_id, "url": link}
    await fan_out(conn, topic="minutes.published", event=event, data=payload)


async def registration_created(
    conn: asyncpg.Connection, event: Envelope, data: RegistrationCreatedNotice, settings: Settings
) -> None:
    if data.organisation_id is None:
        return  # a person on their own: no organisation's endpoint may hear of it
    organisation_id = uuid.UUID(data.organisation_id)
    await q.remember_registration.execute(
        conn,
        registration_id=uuid.UUID(data.registration_id),
        organisation_id=organisation_id,
        event_id=uuid.UUID(data.event_id),
    )
    payload = {
        "registration_id": data.registration_id,
        "event_id": data.event_id,
        "status": data.status,
        "url": topics.event_link(settings.public_url, data.event_id),
    }
    await fan_out(
        conn, topic="registration.created", event=event, data=payload, organisation_id=organisation_id
    )


async def registration_ended(
    conn: asyncpg.Connection, event: Envelope, data: RegistrationCancelledNotice, settings: Settings
) -> None:
    organisation_id = await q.organisation_of_registration.fetchval(
        conn, registration_id=uuid.UUID(data.registration_id)
    )
    if organisation_id is None:
        return  # not an organisation's registration (or made before notify knew of it)
    payload = {
        "registration_id": data.registration_id,
        "event_id": data.event_id,
        "url": topics.event_link(settings.public_url, data.event_id),
    }
    await fan_out(
        conn, topic="registration.cancelled", event=event, data=payload, organisation_id=organisation_id
    )
