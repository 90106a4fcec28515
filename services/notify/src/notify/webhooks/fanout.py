"""From events on the bus to webhook messages: one per endpoint that takes the topic.

Each handler runs in the consumer's transaction with its inbox row, declares only the ids it reads
(never a name or an address: payloads are thin), and adds nothing for a redelivered event.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
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
    # On every announcement of the event; from before its change and cancellation carried them, only on
    # its publication (notify remembers them).
    audience: str | None = None
    organiser_ids: list[str] | None = None


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
    organisation_ids: Sequence[uuid.UUID] | None = None,
) -> None:
    """Queue `data` for every endpoint that takes `topic`: of `organisation_ids` only (none when
    empty), or (None) of every organisation; the handlers below always say which."""
    if organisation_ids is not None and not organisation_ids:
        return
    now = datetime.now(UTC)
    await q.fan_out.execute(
        conn,
        topic=topic,
        cause_event_id=uuid.UUID(event.id),
        body=topics.body(topic, event.time, data),
        now=now,
        organisation_ids=None if organisation_ids is None else list(organisation_ids),
    )
    WEBHOOKS_QUEUED.ring()


def to_topic(
    topic: str,
) -> Callable[[asyncpg.Connection, Envelope, EventNotice, Settings], Awaitable[None]]:
    async def handle(
        conn: asyncpg.Connection, event: Envelope, data: EventNotice, settings: Settings
    ) -> None:
        link = topics.event_link(settings.public_url, data.event_id)
        organisations = await _who_may_hear(conn, data)
        await fan_out(
            conn,
            topic=topic,
            event=event,
            data={"event_id": data.event_id, "url": link},
            organisation_ids=organisations,
        )

    return handle


async def _who_may_hear(conn: asyncpg.Connection, data: EventNotice) -> list[uuid.UUID] | None:
    """None (every organisation) for a public event; otherwise only its organisers, as the events
    service shows it (staff aside). An event whose publication notify never saw: no one."""
    event_id = uuid.UUID(data.event_id)
    if data.audience is not None:
        organisers = [uuid.UUID(o) for o in data.organiser_ids or []]
        await q.remember_event_audience.execute(
            conn, event_id=event_id, audience=data.audience, organiser_ids=organisers
        )
        audience = data.audience
    else:
        row = await q.event_audience.fetchrow(conn, event_id=event_id)
        if row is None:
            log.info("webhook not fanned out: event's audience unknown", event_id=data.event_id)
            return []
        audience, organisers = row["audience"], list(row["organiser_ids"])
    return None if audience == "public" else organisers


async def minutes_published(
    conn: asyncpg.Connection, event: Envelope, data: MinutesNotice, settings: Settings
) -> None:
    link = topics.minutes_link(settings.public_url, data.meeting_id)
    payload = {"minutes_id": data.minutes_id, "meeting_id": data.meeting_id, "url": link}
    # Every organisation's: the minutes' contract names no organisation (only the meeting's group), and
    # published minutes are readable by every organisation's representatives.
    await fan_out(conn, topic="minutes.published", event=event, data=payload, organisation_ids=None)


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
        conn, topic="registration.created", event=event, data=payload, organisation_ids=[organisation_id]
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
        conn, topic="registration.cancelled", event=event, data=payload, organisation_ids=[organisation_id]
    )
