"""Volunteers' export and erasure requests (docs/rights.md): notify answers each once, through its
outbox, with everything it holds about the person, or after erasing it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from backbone.db import create_pool
from backbone.envelope import new_envelope
from backbone.queries import backbone_queries as bq
from backbone.testing import where_it_remains
from notify.consumers import subscriptions
from notify.settings import MIGRATIONS_DIR, Settings

SETTINGS = Settings(environment="test", public_url="https://delaktig.example.se")
# Ahead: nothing is sent about an event that has started.
STARTS = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)


@pytest.fixture
async def pool(make_database):
    p = await create_pool(make_database("notify", MIGRATIONS_DIR))
    yield p
    await p.close()


async def deliver(pool: asyncpg.Pool, subject: str, data: dict[str, Any], *, times: int = 1) -> str:
    """Hand the event to its handler (`times` over, as redeliveries would); the event's id."""
    [sub] = [s for s in subscriptions(SETTINGS) if s.subject == subject]
    env = new_envelope(
        subject=subject,
        source=f"/{subject.split('.')[0]}",
        data=data,
        aggregate="x/1",
        correlation_id=None,
    )
    for _ in range(times):
        async with pool.acquire() as conn, conn.transaction():
            await sub.handler(conn, env, sub.model.model_validate(env.data))
    return env.id


def someone() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    return {"name": f"Greta Granskare {tag}", "email": f"Greta.{tag}@Example.se", "phone": f"+46 70 {tag}"}


async def with_a_history(pool: asyncpg.Pool, who: dict[str, Any]) -> None:
    """A confirmed place (an email sent, its attempt logged, the registrant kept), minutes held for
    the daily digest they chose, and an email to another person."""
    event_id = str(uuid.uuid4())
    await deliver(
        pool,
        "events.event.published.v1",
        {
            "event_id": event_id,
            "title": "Träff om bostäder",
            "starts_at": STARTS.isoformat(),
            "ends_at": (STARTS + timedelta(hours=2)).isoformat(),
            "timezone": SETTINGS.timezone,
            "venue_name": "Stadsbiblioteket",
            "venue_address": "Sveavägen 73",
            "sequence": 0,
        },
    )
    for person in (who, {"name": "Kenneth Tell", "email": "kenneth@example.se"}):
        registration_id = str(uuid.uuid4())
        await deliver(
            pool,
            "events.registration.created.v1",
            {
                "registration_id": registration_id,
                "event_id": event_id,
                "status": "registered",
                "person": {"name": person["name"], "email": person["email"], "language": "sv"},
                "cancel_token": f"cancel.{uuid.uuid4().hex}",
            },
        )
    async with pool.acquire() as conn:
        # Their choice, as the preferences page keeps it (by the lower-cased address).
        await conn.execute(
            "INSERT INTO recipient_settings (address, digest_hour, digest_weekday) VALUES ($1, 7, 1)",
            who["email"].lower(),
        )
        await conn.execute(
            "INSERT INTO category_choices (address, category, choice) VALUES ($1, 'minutes', 'daily')",
            who["email"].lower(),
        )
        # The relay took the confirmation; the server's answer quotes the address.
        await conn.execute(
            """
            WITH sent AS (
                UPDATE emails SET status = 'sent', sent_at = now(), attempts = 1
                WHERE lower(recipient) = lower($1) RETURNING id
            )
            INSERT INTO delivery_attempts (email_id, outcome, reason)
            SELECT id, 'sent', '250 OK queued for <' || $1 || '>' FROM sent
            """,
            who["email"],
        )
    await deliver(
        pool,
        "meetings.minutes.published.v1",
        {
            "minutes_id": str(uuid.uuid4()),
            "meeting_id": str(uuid.uuid4()),
            "title": "Gemensam utvecklingsgrupp",
            "decision_count": 2,
            "recipients": [{"name": who["name"], "email": who["email"]}],
        },
    )


def request(who: dict[str, Any], services: tuple[str, ...] = ("volunteers", "events", "notify")) -> dict:
    return {
        "request_id": str(uuid.uuid4()),
        "volunteer_id": str(uuid.uuid4()),
        "services": list(services),
        "person": who,
        "requested_at": datetime.now(UTC).isoformat(),
    }


async def answers(pool: asyncpg.Pool, subject: str, request_id: str) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT aggregate, envelope FROM outbox WHERE subject = $1 AND aggregate = $2 ORDER BY id",
            subject,
            f"rights_request/{request_id}",
        )
    return [row["envelope"]["data"] for row in rows]


async def remains(pool: asyncpg.Pool, needles: list[str]) -> list[str]:
    async with pool.acquire() as conn:
        return await where_it_remains(conn, needles)


async def test_after_an_erasure_no_table_names_the_person_and_the_answer_is_in_the_outbox_once(pool):
    who = someone()
    await with_a_history(pool, who)
    # An earlier export, answered and published: its answer carries the person's address.
    exported = request(who)
    await deliver(pool, "volunteers.export.requested.v1", exported)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    needles = [who["name"], who["email"]]
    assert await remains(pool, needles), "the history names the person before the erasure"

    erased = request(who)
    await deliver(pool, "volunteers.erasure.requested.v1", erased, times=2)

    assert await remains(pool, needles) == []
    [answer] = await answers(pool, "notify.erasure.completed.v1", erased["request_id"])
    assert answer == {
        "request_id": erased["request_id"],
        "service": "notify",
        "status": "done",
        "detail": "",
        "data": None,
    }
    async with pool.acquire() as conn:
        log = await conn.fetch(
            "SELECT e.status, e.sent_at, a.outcome, a.at FROM emails e"
            " JOIN delivery_attempts a ON a.email_id = e.id WHERE e.recipient LIKE 'raderad-%'"
        )
        others = await conn.fetchval("SELECT count(*) FROM emails WHERE recipient = 'kenneth@example.se'")
    # The delivery log keeps the sent confirmation's state and times, without the address.
    assert [(r["status"], r["outcome"]) for r in log] == [("sent", "sent")]
    assert log[0]["sent_at"] is not None and log[0]["at"] is not None
    assert others == 1, "another person's email is left as it was"


async def test_an_export_holds_the_emails_the_log_the_preferences_the_digest_and_the_registration(pool):
    who = someone()
    await with_a_history(pool, who)
    asked = request(who)
    await deliver(pool, "volunteers.export.requested.v1", asked, times=2)

    [answer] = await answers(pool, "notify.export.completed.v1", asked["request_id"])
    assert (answer["service"], answer["status"], answer["detail"]) == ("notify", "done", "")
    part = answer["data"]
    assert part["address"] == who["email"].lower()
    [email] = part["emails"]
    assert (email["template"], email["state"]) == ("registration_confirmed", "sent")
    assert who["name"] in email["body_text"]
    assert [a["outcome"] for a in email["attempts"]] == ["sent"]
    assert part["preferences"]["choices"] == {"minutes": "daily"}
    assert part["preferences"]["digest_hour"] == 7
    [held] = part["digest_items"]
    assert (held["template"], held["frequency"]) == ("minutes_published", "daily")
    assert held["sent_in_digest"] is False
    # A confirmed place keeps nobody here: notify keeps a registrant only while an offer is open.
    assert part["registrations"] == []
    assert len(json.dumps(answer)) < 200 * 1024


async def test_nothing_held_is_said_and_a_request_for_other_services_is_not_answered(pool):
    nobody = someone()
    for kind in ("export", "erasure"):
        asked = request(nobody)
        await deliver(pool, f"volunteers.{kind}.requested.v1", asked)
        [answer] = await answers(pool, f"notify.{kind}.completed.v1", asked["request_id"])
        assert (answer["status"], answer["data"]) == ("nothing_held", None)

    not_ours = request(nobody, services=("volunteers", "events"))
    await deliver(pool, "volunteers.erasure.requested.v1", not_ours)
    assert await answers(pool, "notify.erasure.completed.v1", not_ours["request_id"]) == []


async def test_a_person_known_by_phone_only_holds_nothing_here(pool):
    asked = request({"name": "Utan Adress", "email": None, "phone": "+46 70 123 45 67"})
    await deliver(pool, "volunteers.erasure.requested.v1", asked)
    [answer] = await answers(pool, "notify.erasure.completed.v1", asked["request_id"])
    assert answer["status"] == "nothing_held"


async def _dead_letter_naming(pool: asyncpg.Pool, who: dict[str, Any], seq: int) -> None:
    """A reminder notify could not handle, kept as it came (its address as the publisher spelt it)."""
    env = new_envelope(
        subject="events.reminder.due.v1",
        source="/events",
        data={"person": {"name": who["name"], "email": who["email"]}, "event_id": str(uuid.uuid4())},
        aggregate="registration/1",
        correlation_id=None,
    )
    async with pool.acquire() as conn:
        await bq.record_dead_letter.execute(
            conn, consumer="notify", stream="EVENTS", stream_seq=seq, subject="events.reminder.due.v1",
            headers={}, data=env.to_json(), reason="Handler failed 5 times; last error: KeyError('x')",
            delivery_count=5,
        )


async def _bounce_of(pool: asyncpg.Pool, who: dict[str, Any]) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO bounced_addresses (address, status, reason) VALUES ($1, '5.1.1', $2)",
            who["email"].lower(),
            f"5.1.1 <{who['email']}>: user unknown",
        )


async def test_dead_letters_and_a_bounce_naming_the_person_are_exported_and_erased(pool):
    who, other = someone(), someone()
    await _dead_letter_naming(pool, who, seq=1)
    await _dead_letter_naming(pool, other, seq=2)
    await _bounce_of(pool, who)

    asked = request(who)
    await deliver(pool, "volunteers.export.requested.v1", asked)
    [answer] = await answers(pool, "notify.export.completed.v1", asked["request_id"])
    assert answer["status"] == "done"
    [letter] = answer["data"]["dead_letters"]
    assert letter["subject"] == "events.reminder.due.v1" and letter["status"] == "open"
    assert who["email"] in letter["payload"] and "KeyError" in letter["reason"]
    assert answer["data"]["bounced"]["status"] == "5.1.1"
    async with pool.acquire() as conn:  # the export answer went out: the erasure may drop it
        await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")

    erased = request(who)
    await deliver(pool, "volunteers.erasure.requested.v1", erased)
    [done] = await answers(pool, "notify.erasure.completed.v1", erased["request_id"])
    assert done["status"] == "done"
    assert await remains(pool, [who["name"], who["email"]]) == []
    async with pool.acquire() as conn:
        kept = [bytes(r["data"]) for r in await conn.fetch("SELECT data FROM dead_letters")]
    assert len(kept) == 1 and other["email"].encode() in kept[0], "another person's dead letter stays"


async def test_a_person_known_only_from_a_dead_letter_or_a_bounce_is_held(pool):
    letter_only, bounce_only = someone(), someone()
    await _dead_letter_naming(pool, letter_only, seq=1)
    await _bounce_of(pool, bounce_only)
    for who in (letter_only, bounce_only):
        asked = request(who)
        await deliver(pool, "volunteers.export.requested.v1", asked)
        [answer] = await answers(pool, "notify.export.completed.v1", asked["request_id"])
        assert answer["status"] == "done", who
