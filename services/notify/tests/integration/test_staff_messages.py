"""Messages to the staff member who asked the volunteers service for something: a request whose
places are all filled, a review that came back. Their work address travels in the event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from backbone.db import create_pool
from backbone.envelope import new_envelope
from notify.consumers import subscriptions
from notify.settings import MIGRATIONS_DIR, Settings

SETTINGS = Settings(environment="test", public_url="https://delaktig.example.se")
STARTS = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)


@pytest.fixture
async def pool(make_database):
    p = await create_pool(make_database("notify", MIGRATIONS_DIR))
    yield p
    await p.close()


async def deliver(pool: asyncpg.Pool, subject: str, data: dict[str, Any]) -> None:
    [sub] = [s for s in subscriptions(SETTINGS) if s.subject == subject]
    env = new_envelope(subject=subject, source="/volunteers", data=data, aggregate="x/1", correlation_id=None)
    async with pool.acquire() as conn, conn.transaction():
        await sub.handler(conn, env, sub.model.model_validate(env.data))


def filled(contact: dict[str, Any] | None) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    return {
        "request_id": request_id,
        "pool_id": str(uuid.uuid4()),
        "pool_key": "vardar",
        "pool_name": "Värdar på Kulturnatten",
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(hours=2)).isoformat(),
        "timezone": SETTINGS.timezone,
        "place": "Stadsbiblioteket",
        "source": "staff",
        "source_ref": None,
        "seats": 2,
        "requested_by": "staff-1",
        "requested_by_name": "Sara Personal",
        "volunteer_ids": [str(uuid.uuid4()), str(uuid.uuid4())],
        "requested_by_contact": contact,
    }


async def emails(pool: asyncpg.Pool, template: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(
            "SELECT recipient, language, subject, body_text FROM emails WHERE template = $1", template
        )


async def test_a_filled_request_is_told_to_the_one_who_asked_in_their_language(pool):
    contact = {"name": "Sara Personal", "email": "sara@kommun.example.se", "language": "en"}
    event = filled(contact)
    await deliver(pool, "volunteers.request.filled.v1", event)
    [email] = await emails(pool, "volunteer_request_filled")
    assert (email["recipient"], email["language"]) == ("sara@kommun.example.se", "en")
    assert email["subject"] == "Every place is filled: Värdar på Kulturnatten"
    assert f"https://delaktig.example.se/volunteers/requests/{event['request_id']}" in email["body_text"]


async def test_without_an_address_nobody_is_written_to(pool):
    # Asked over the bus by the events service, or before the gateway sent addresses.
    await deliver(pool, "volunteers.request.filled.v1", filled(None))
    # An address no mail server would take: nothing to send, nothing to retry.
    broken = {"name": "Sara Personal", "email": "sara at kommunen", "language": "sv"}
    await deliver(pool, "volunteers.request.filled.v1", filled(broken))
    assert await emails(pool, "volunteer_request_filled") == []


async def test_a_returned_review_is_told_to_the_one_who_sent_the_text_with_lix(pool):
    review_id = str(uuid.uuid4())
    await deliver(
        pool,
        "volunteers.review.returned.v1",
        {
            "review_id": review_id,
            "review_reviewer_id": str(uuid.uuid4()),
            "volunteer_id": str(uuid.uuid4()),
            "title": "Så söker du bostad",
            "original_lix": 52.4,
            "suggested_lix": 38.1,
            "lix_change": -14.3,
            "submitted_by": "staff-1",
            "submitted_by_contact": {
                "name": "Sara Personal",
                "email": "sara@kommun.example.se",
                "language": "sv",
            },
        },
    )
    [email] = await emails(pool, "volunteer_review_returned")
    assert email["subject"] == "Svar på granskningen: Så söker du bostad"
    assert "LIX för din text: 52" in email["body_text"] and "LIX för förslaget: 38" in email["body_text"]
    assert "Förslaget är lättare att läsa." in email["body_text"]
    assert f"/volunteers/reviews/{review_id}" in email["body_text"]
