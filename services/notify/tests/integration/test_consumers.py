"""Each event notify consumes queues the right emails, to the right people, once."""

import uuid
from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from backbone.db import create_pool
from backbone.envelope import new_envelope
from notify.consumers import subscriptions
from notify.settings import MIGRATIONS_DIR, Settings

SETTINGS = Settings(environment="test", public_url="https://delaktig.example.se")
LEIF = {"name": "Leif Redestig", "email": "leif@example.se"}
KENNETH = {"name": "Kenneth Tell", "email": "kenneth@example.se"}
MARCH_2 = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
MARCH_9 = datetime(2026, 3, 9, 12, 30, tzinfo=UTC)


@pytest.fixture
async def pool(make_database):
    p = await create_pool(make_database("notify", MIGRATIONS_DIR))
    yield p
    await p.close()


async def deliver(pool, subject: str, data: dict, settings: Settings = SETTINGS) -> list[dict]:
    """Hand the event to its handler twice (as a redelivery would); return what got queued."""
    [sub] = [s for s in subscriptions(settings) if s.subject == subject]
    env = new_envelope(subject=subject, source="/meetings", data=data, aggregate="x/1", correlation_id=None)
    for _ in range(2):
        async with pool.acquire() as conn, conn.transaction():
            await sub.handler(conn, env, sub.model.model_validate(env.data))
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT recipient, subject, body_text, body_html, language, attachments FROM emails
               WHERE cause_event_id = $1 ORDER BY recipient""",
            uuid.UUID(env.id),
        )
    return [dict(r) for r in rows]


def meeting(**over) -> dict:
    return {
        "meeting_id": str(uuid.uuid4()),
        "title": "Gemensam utvecklingsgrupp",
        "group_name": "Gemensam utvecklingsgrupp",
        "starts_at": MARCH_2.isoformat(),
        "ends_at": MARCH_2.replace(hour=14).isoformat(),
        "timezone": SETTINGS.timezone,
        "place": "Bryggan",
        "invitees": [LEIF, KENNETH],
        **over,
    }


async def test_a_moved_meeting_tells_every_invitee_the_new_and_the_old_time(pool):
    data = meeting(
        starts_at=MARCH_9.isoformat(),
        ends_at=MARCH_9.replace(hour=14).isoformat(),
        previous_starts_at=MARCH_2.isoformat(),
    )
    emails = await deliver(pool, "meetings.meeting.rescheduled.v1", data)
    assert [e["recipient"] for e in emails] == ["kenneth@example.se", "leif@example.se"]
    assert emails[0]["subject"] == "Mötet är flyttat: Gemensam utvecklingsgrupp måndag 9 mars"
    assert "Ny tid: måndag 9 mars 2026 kl. 13.30–15.30" in emails[0]["body_text"]
    assert "Tidigare tid: måndag 2 mars 2026 kl. 13.30" in emails[0]["body_text"]


async def test_a_meeting_that_names_no_time_zone_is_told_in_the_configured_one(pool):
    helsinki = Settings(environment="test", timezone="Europe/Helsinki")
    data = meeting()
    del data["timezone"]
    emails = await deliver(pool, "meetings.meeting.scheduled.v1", data, helsinki)
    assert "När: måndag 2 mars 2026 kl. 14.30–16.30" in emails[0]["body_text"]


async def test_the_meetings_own_time_zone_wins_over_the_configured_one(pool):
    helsinki = Settings(environment="test", timezone="Europe/Helsinki")
    emails = await deliver(pool, "meetings.meeting.scheduled.v1", meeting(timezone="Europe/London"), helsinki)
    assert "När: måndag 2 mars 2026 kl. 12.30–14.30" in emails[0]["body_text"]


async def test_a_cancelled_meeting_says_so_and_why(pool):
    data = meeting(reason="Lokalen är upptagen")
    emails = await deliver(pool, "meetings.meeting.cancelled.v1", data)
    assert len(emails) == 2
    assert emails[1]["subject"] == "Inställt: Gemensam utvecklingsgrupp måndag 2 mars"
    assert "Varför: Lokalen är upptagen" in emails[1]["body_text"]


async def test_published_minutes_link_to_the_minutes_page(pool):
    meeting_id = str(uuid.uuid4())
    data = {
        "minutes_id": str(uuid.uuid4()),
        "meeting_id": meeting_id,
        "group_id": None,
        "title": "Gemensam utvecklingsgrupp",
        "version_no": 1,
        "published_at": MARCH_9.isoformat(),
        "decision_count": 2,
        "meeting_starts_at": MARCH_2.isoformat(),
        "recipients": [LEIF],
    }
    [email] = await deliver(pool, "meetings.minutes.published.v1", data)
    assert email["subject"] == "Protokollet är klart: Gemensam utvecklingsgrupp måndag 2 mars"
    assert f"https://delaktig.example.se/meetings/{meeting_id}/minutes" in email["body_text"]
    assert "Mötet tog 2 beslut." in email["body_text"]
    assert f'href="https://delaktig.example.se/meetings/{meeting_id}/minutes"' in email["body_html"]


async def test_a_title_that_already_says_the_date_does_not_get_it_twice(pool):
    data = {
        "minutes_id": str(uuid.uuid4()),
        "meeting_id": str(uuid.uuid4()),
        "title": "Gemensam utvecklingsgrupp 2 mars 2026",
        "meeting_starts_at": MARCH_2.isoformat(),
        "recipients": [LEIF],
    }
    [email] = await deliver(pool, "meetings.minutes.published.v1", data)
    assert email["subject"] == "Protokollet är klart: Gemensam utvecklingsgrupp 2 mars 2026"


async def test_corrected_minutes_say_what_changed(pool):
    data = {
        "meeting_id": str(uuid.uuid4()),
        "title": "Gemensam utvecklingsgrupp",
        "decision_count": 0,
        "correction_note": "Rättat namnet på Bent.",
        "recipients": [KENNETH],
    }
    [email] = await deliver(pool, "meetings.minutes.corrected.v1", data)
    assert email["subject"].startswith("Protokollet är rättat: ")
    assert "Det här ändrades: Rättat namnet på Bent." in email["body_text"]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("meetings.action_item.assigned.v1", "Du har fått en uppgift till fredag 6 mars 2026"),
        ("meetings.action_item.due_soon.v1", "Påminnelse: uppgiften ska vara klar fredag 6 mars 2026"),
        ("meetings.action_item.overdue.v1", "Uppgiften är försenad: den skulle vara klar fredag 6 mars 2026"),
    ],
)
async def test_action_items_reach_their_owner(pool, subject, expected):
    data = {
        "action_item_id": str(uuid.uuid4()),
        "text": "Martina lovar att kolla upp detta",
        "owner_name": "Martina",
        "owner_email": "martina@example.se",
        "due_date": date(2026, 3, 6).isoformat(),
    }
    [email] = await deliver(pool, subject, data)
    assert email["recipient"] == "martina@example.se"
    assert email["subject"] == expected
    assert "Martina lovar att kolla upp detta" in email["body_text"]
    assert "Hej Martina!" in email["body_text"]


async def test_an_action_item_without_an_owner_address_queues_nothing(pool):
    data = {
        "action_item_id": str(uuid.uuid4()),
        "text": "Kolla lokalen",
        "owner_name": "Vi",
        "owner_email": None,
    }
    assert await deliver(pool, "meetings.action_item.assigned.v1", data) == []


async def test_addresses_that_differ_only_in_case_get_one_invitation(pool):
    data = meeting(
        invitees=[
            {"name": "Anna Berg", "email": "Anna.Berg@Example.se"},
            {"name": "Anna Berg", "email": "anna.berg@example.se"},
            LEIF,
        ]
    )
    emails = await deliver(pool, "meetings.meeting.scheduled.v1", data)
    assert [e["recipient"] for e in emails] == ["Anna.Berg@Example.se", "leif@example.se"]


def calendar_of(email: dict) -> Calendar:
    [attachment] = email["attachments"]
    assert attachment["content_type"].startswith("text/calendar; method=")
    return Calendar.from_ical(attachment["content"])


async def test_a_meeting_moved_and_then_cancelled_keeps_its_uid_and_raises_its_sequence(pool):
    data = meeting(invitees=[LEIF])
    [invited] = await deliver(pool, "meetings.meeting.scheduled.v1", data)
    moved = {**data, "starts_at": MARCH_9.isoformat(), "ends_at": MARCH_9.replace(hour=14).isoformat()}
    [rescheduled] = await deliver(
        pool, "meetings.meeting.rescheduled.v1", {**moved, "previous_starts_at": MARCH_2.isoformat()}
    )
    [cancelled] = await deliver(
        pool,
        "meetings.meeting.cancelled.v1",
        {k: moved[k] for k in ("meeting_id", "title", "starts_at", "timezone", "invitees")},
    )
    calendars = [calendar_of(e) for e in (invited, rescheduled, cancelled)]
    assert [str(c["METHOD"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    entries = [c.walk("VEVENT")[0] for c in calendars]
    assert {str(e["UID"]) for e in entries} == {f"{data['meeting_id']}@delaktig.meetings"}
    assert [e["SEQUENCE"] for e in entries] == [0, 1, 2]
    assert entries[1].decoded("DTSTART") == MARCH_9
    assert str(entries[2]["STATUS"]) == "CANCELLED"
    assert "mailto:leif@example.se" in str(entries[0]["ATTENDEE"])


async def test_minutes_and_action_items_carry_no_calendar_file(pool):
    data = {
        "minutes_id": str(uuid.uuid4()),
        "meeting_id": str(uuid.uuid4()),
        "title": "Gemensam utvecklingsgrupp",
        "recipients": [LEIF],
    }
    [email] = await deliver(pool, "meetings.minutes.published.v1", data)
    assert email["attachments"] == [] and email["language"] == "sv"
