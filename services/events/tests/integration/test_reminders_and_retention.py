"""Reminders (once, and never for an old time after a reschedule) and the anonymising of old
registrations, run as the workers run them, at chosen moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events import retention
from events.links import Signer
from events.registrations import Context
from events.reminders import send_due

from .world import person, published_event, signup, soon


async def remind(client: Any, at: datetime) -> int:
    ctx = Context(signer=Signer(client.settings.link_key), zone=client.settings.zone, now=at)
    async with client.pool.acquire() as conn:
        return await send_due(conn=conn, ctx=ctx)


async def test_reminders_go_out_once_per_person_and_again_for_a_new_time_never_for_the_old(
    client: Any,
) -> None:
    start = soon(3)
    event = await published_event(client, starts_at=start, reminder_minutes=[2880, 120], capacity=2)
    for n in range(3):  # the third waits: no reminder for the waiting list
        await signup(client, event, person(n))
    two_days_before = start - timedelta(days=2)
    assert await remind(client, two_days_before - timedelta(minutes=1)) == 0
    assert await remind(client, two_days_before) == 2
    assert await remind(client, two_days_before + timedelta(minutes=5)) == 0  # never twice
    # Moved a day later: the two-day reminder comes again, for the new time.
    later = start + timedelta(days=1)
    await client.patch(
        f"/v1/events/{event['id']}",
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=3)).isoformat()},
    )
    assert await remind(client, later - timedelta(days=2)) == 2
    assert await remind(client, start - timedelta(hours=2)) == 0  # the old time's two hours: nothing
    assert await remind(client, later - timedelta(hours=2)) == 2
    sent = await client.outbox("events.reminder.due.v1")
    assert [r["minutes_before"] for r in sent] == [2880, 2880, 2880, 2880, 120, 120]
    assert {r["person"]["name"] for r in sent} == {"Person 0", "Person 1"}
    assert sent[-1]["starts_at"].startswith(later.isoformat()[:16].replace("+00:00", ""))


async def test_no_reminders_for_a_cancelled_event(client: Any) -> None:
    start = soon(1)
    event = await published_event(client, starts_at=start, reminder_minutes=[120])
    await signup(client, event, person(1))
    await client.post(f"/v1/events/{event['id']}/cancel", {}, expect=200)
    assert await remind(client, start - timedelta(hours=1)) == 0


async def test_registrations_of_long_past_events_are_anonymised_and_counts_kept(client: Any) -> None:
    import uuid

    org = str(uuid.uuid4())
    event = await published_event(client, capacity=1)
    url = f"/v1/events/{event['id']}/registrations"
    await client.post(f"{url}/batch", {"organisation_id": org, "people": [person(1), person(2)]})
    after = datetime.fromisoformat(event["ends_at"]) + timedelta(days=client.settings.retention_days)
    async with client.pool.acquire() as conn:
        assert await retention.anonymise_old(conn=conn, now=after - timedelta(minutes=1), after_days=365) == 0
        assert await retention.anonymise_old(conn=conn, now=after + timedelta(minutes=1), after_days=365) == 2
        assert await retention.anonymise_old(conn=conn, now=after + timedelta(days=1), after_days=365) == 0
    rows = (await client.get(url))["items"]
    assert [(r["name"], r["email"], r["phone"], r["status"]) for r in rows] == [
        ("", None, None, "registered"),
        ("", None, None, "waiting"),
    ]
    summary = await client.get(f"{url}/summary")
    assert summary["per_organisation"] == [{"organisation_id": org, "registered": 1}]
    assert datetime.now(UTC) < after  # the event itself is untouched and still listed
    assert (await client.get(f"/v1/events/{event['id']}"))["title"] == event["title"]


async def test_a_reminder_round_goes_on_past_an_event_that_fails(client: Any) -> None:
    start = soon(1)
    failing = await published_event(client, starts_at=start, reminder_minutes=[120])
    fine = await published_event(client, starts_at=start + timedelta(minutes=1), reminder_minutes=[120])
    for event in (failing, fine):
        await signup(client, event, person(1))
    async with client.pool.acquire() as conn:
        await conn.execute(
            f"""
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'broken event'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON reminders_sent FOR EACH ROW
            WHEN (NEW.event_id = '{failing["id"]}') EXECUTE FUNCTION refuse();
            """
        )
    assert await remind(client, start - timedelta(minutes=30)) == 1
    assert [r["event_id"] for r in await client.outbox("events.reminder.due.v1")] == [fine["id"]]
