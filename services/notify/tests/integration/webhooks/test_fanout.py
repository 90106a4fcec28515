"""From events to webhook messages, through notify's own subscriptions table: one message per
endpoint that takes the topic, beside the emails of the same event, none for a redelivery."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from backbone.envelope import new_envelope
from notify.consumers import subscriptions
from notify.settings import Settings

from .conftest import Resolver, add_endpoint

SETTINGS = Settings(environment="test", public_url="https://delaktig.example.se")


async def handle_twice(pool, subject: str, data: dict) -> str:
    """Run the subject's subscription as the consumer would, twice (a redelivery); the event's id."""
    [sub] = [s for s in subscriptions(SETTINGS) if s.subject == subject]
    env = new_envelope(subject=subject, source="/x", data=data, aggregate=None, correlation_id=None)
    for _ in range(2):
        async with pool.acquire() as conn, conn.transaction():
            await sub.handler(conn, env, sub.model.model_validate(env.data))
    return env.id


async def bodies(pool, endpoint_id) -> list[dict]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT body FROM webhook_messages WHERE endpoint_id = $1", endpoint_id)
    return [json.loads(r["body"]) for r in rows]


async def test_published_minutes_give_their_emails_and_one_webhook_per_endpoint(
    pool, resolver: Resolver
) -> None:
    takes = await add_endpoint(pool, resolver, url="http://receiver.test/a", topics=["minutes.published"])
    other_topic = await add_endpoint(pool, resolver, url="http://receiver.test/b", topics=["event.published"])
    meeting_id, minutes_id = str(uuid.uuid4()), str(uuid.uuid4())
    data = {
        "minutes_id": minutes_id,
        "meeting_id": meeting_id,
        "group_id": None,
        "title": "Gemensam utvecklingsgrupp",
        "version_no": 1,
        "published_at": datetime.now(UTC).isoformat(),
        "decision_count": 0,
        "timezone": SETTINGS.timezone,
        "recipients": [{"name": "Leif Redestig", "email": "leif@example.se"}],
    }
    event_id = await handle_twice(pool, "meetings.minutes.published.v1", data)
    [body] = await bodies(pool, takes["id"])
    assert body["type"] == "minutes.published"
    assert body["data"] == {
        "minutes_id": minutes_id,
        "meeting_id": meeting_id,
        "url": f"https://delaktig.example.se/meetings/{meeting_id}/minutes",
    }
    assert "leif" not in json.dumps(body).lower()
    assert await bodies(pool, other_topic["id"]) == []
    async with pool.acquire() as conn:
        emails = await conn.fetchval(
            "SELECT count(*) FROM emails WHERE cause_event_id = $1", uuid.UUID(event_id)
        )
    assert emails == 1, "the email of the same event went missing beside the webhook"


async def test_a_disabled_endpoint_gets_no_new_messages(pool, resolver: Resolver) -> None:
    endpoint = await add_endpoint(pool, resolver, url="http://receiver.test/a", topics=["event.cancelled"])
    async with pool.acquire() as conn:
        await conn.execute("UPDATE webhook_endpoints SET disabled_at = now() WHERE id = $1", endpoint["id"])
    enabled = await add_endpoint(pool, resolver, url="http://receiver.test/b", topics=["event.cancelled"])
    event_id = str(uuid.uuid4())
    await handle_twice(
        pool, "events.event.published.v1", published(event_id, audience="public", organiser_ids=[])
    )
    await handle_twice(pool, "events.event.cancelled.v1", cancelled(event_id))
    assert await bodies(pool, endpoint["id"]) == []
    assert [b["type"] for b in await bodies(pool, enabled["id"])] == ["event.cancelled"]


def published(event_id: str, *, audience: str, organiser_ids: list[uuid.UUID]) -> dict:
    now = datetime.now(UTC).isoformat()
    return {
        "event_id": event_id,
        "title": "Träff",
        "kind": "meeting",
        "starts_at": now,
        "ends_at": now,
        "timezone": SETTINGS.timezone,
        "venue_name": None,
        "venue_address": None,
        "audience": audience,
        "organiser_ids": [str(o) for o in organiser_ids],
        "sequence": 0,
    }


def changed(event_id: str) -> dict:
    now = datetime.now(UTC).isoformat()
    return {
        "event_id": event_id,
        "title": "Träff",
        "changes": ["rescheduled"],
        "previous_starts_at": now,
        "previous_ends_at": now,
        "starts_at": now,
        "ends_at": now,
        "timezone": SETTINGS.timezone,
        "previous_venue_name": None,
        "previous_venue_address": None,
        "venue_name": None,
        "venue_address": None,
        "sequence": 1,
    }


def cancelled(event_id: str) -> dict:
    return {
        "event_id": event_id,
        "title": "Träff",
        "starts_at": datetime.now(UTC).isoformat(),
        "timezone": SETTINGS.timezone,
        "reason": None,
        "sequence": 2,
    }


EVENT_TOPICS = ["event.published", "event.changed", "event.cancelled"]


async def topics_heard(pool, endpoint_id) -> list[str]:
    return sorted(b["type"] for b in await bodies(pool, endpoint_id))


async def test_a_public_event_is_heard_by_every_organisation_that_takes_the_topic(
    pool, resolver: Resolver
) -> None:
    organiser, other = uuid.uuid4(), uuid.uuid4()
    theirs = await add_endpoint(
        pool, resolver, url="http://receiver.test/a", topics=EVENT_TOPICS, organisation_id=organiser
    )
    elsewhere = await add_endpoint(
        pool, resolver, url="http://receiver.test/b", topics=EVENT_TOPICS, organisation_id=other
    )
    event_id = str(uuid.uuid4())
    await handle_twice(
        pool, "events.event.published.v1", published(event_id, audience="public", organiser_ids=[organiser])
    )
    await handle_twice(pool, "events.event.changed.v1", changed(event_id))
    await handle_twice(pool, "events.event.cancelled.v1", cancelled(event_id))
    assert await topics_heard(pool, theirs["id"]) == sorted(EVENT_TOPICS)
    assert await topics_heard(pool, elsewhere["id"]) == sorted(EVENT_TOPICS)


async def test_an_event_for_staff_or_groups_is_heard_only_by_its_organisers(pool, resolver: Resolver) -> None:
    first, second, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    heard = {
        org: await add_endpoint(
            pool, resolver, url=f"http://receiver.test/{org}", topics=EVENT_TOPICS, organisation_id=org
        )
        for org in (first, second, other)
    }
    staff_event, group_event = str(uuid.uuid4()), str(uuid.uuid4())
    await handle_twice(
        pool, "events.event.published.v1", published(staff_event, audience="staff", organiser_ids=[first])
    )
    await handle_twice(
        pool,
        "events.event.published.v1",
        published(group_event, audience="groups", organiser_ids=[first, second]),
    )
    for event_id in (staff_event, group_event):
        await handle_twice(pool, "events.event.changed.v1", changed(event_id))
        await handle_twice(pool, "events.event.cancelled.v1", cancelled(event_id))

    async def events_heard(org: uuid.UUID) -> set[str]:
        return {b["data"]["event_id"] for b in await bodies(pool, heard[org]["id"])}

    assert await topics_heard(pool, heard[first]["id"]) == sorted(EVENT_TOPICS * 2)
    assert await events_heard(first) == {staff_event, group_event}
    assert await topics_heard(pool, heard[second]["id"]) == sorted(EVENT_TOPICS)
    assert await events_heard(second) == {group_event}
    assert await bodies(pool, heard[other]["id"]) == [], "another organisation heard of a non-public event"


async def test_an_event_narrowed_to_staff_after_its_publication_is_no_longer_heard_by_others(
    pool, resolver: Resolver
) -> None:
    organiser, other = uuid.uuid4(), uuid.uuid4()
    theirs = await add_endpoint(
        pool, resolver, url="http://receiver.test/a", topics=EVENT_TOPICS, organisation_id=organiser
    )
    elsewhere = await add_endpoint(
        pool, resolver, url="http://receiver.test/b", topics=EVENT_TOPICS, organisation_id=other
    )
    event_id = str(uuid.uuid4())
    await handle_twice(
        pool, "events.event.published.v1", published(event_id, audience="public", organiser_ids=[organiser])
    )
    now_for = {"audience": "staff", "organiser_ids": [str(organiser)]}
    await handle_twice(pool, "events.event.changed.v1", changed(event_id) | now_for)
    await handle_twice(pool, "events.event.cancelled.v1", cancelled(event_id) | now_for)
    assert await topics_heard(pool, theirs["id"]) == sorted(EVENT_TOPICS)
    assert await topics_heard(pool, elsewhere["id"]) == ["event.published"]


async def test_a_change_of_an_event_notify_never_saw_published_is_heard_by_no_one(
    pool, resolver: Resolver
) -> None:
    """Who an event is for comes only with its publication: without it, no organisation is told."""
    endpoint = await add_endpoint(pool, resolver, url="http://receiver.test/a", topics=EVENT_TOPICS)
    event_id = str(uuid.uuid4())
    await handle_twice(pool, "events.event.changed.v1", changed(event_id))
    await handle_twice(pool, "events.event.cancelled.v1", cancelled(event_id))
    assert await bodies(pool, endpoint["id"]) == []
