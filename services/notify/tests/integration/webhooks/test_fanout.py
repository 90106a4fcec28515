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
    data = {
        "event_id": str(uuid.uuid4()),
        "title": "Träff",
        "starts_at": datetime.now(UTC).isoformat(),
        "timezone": SETTINGS.timezone,
        "reason": None,
        "sequence": 1,
    }
    await handle_twice(pool, "events.event.cancelled.v1", data)
    assert await bodies(pool, endpoint["id"]) == []
