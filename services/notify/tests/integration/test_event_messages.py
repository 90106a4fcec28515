"""The events service's events become the right emails, to the right people, in their language,
with calendar files that parse; checked at a real SMTP sink after the real sender sent them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar

from backbone.db import create_pool
from backbone.embedded import free_port
from backbone.envelope import TYPE_PREFIX, new_envelope
from devstack.mailsink import attempts_log_for, deliveries, read_maildir, start_sink
from notify.consumers import forget_past_events, subscriptions
from notify.sending import EmailSender
from notify.settings import DEVELOPMENT_LINK_SECRET, MIGRATIONS_DIR, Settings

MARCH_13 = datetime(2028, 3, 13, 12, 30, tzinfo=UTC)  # måndag 13 mars 2028 kl. 13.30 in Stockholm
ZONE = Settings(environment="test").timezone  # the configured zone, never written out here


@pytest.fixture
def sink(tmp_path):
    port = free_port()
    maildir = tmp_path / "mail"
    controller, handler = start_sink(maildir, "127.0.0.1", port)
    yield port, maildir
    controller.stop()
    handler.close()


@pytest.fixture
def settings(sink) -> Settings:
    port, _ = sink
    return Settings(
        environment="test",
        smtp_port=port,
        public_url="https://delaktig.example.se",
        mail_domain="test.local",
        message_key=DEVELOPMENT_LINK_SECRET,
        send_batch_size=1000,
    )


@pytest.fixture
async def pool(make_database):
    p = await create_pool(make_database("notify", MIGRATIONS_DIR))
    yield p
    await p.close()


class Bus:
    """Hands events to notify's handlers as its consumer would (each one twice: a redelivery)."""

    def __init__(self, pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings
        self.handlers = {s.subject: s for s in subscriptions(settings)}

    async def publish(self, subject: str, data: dict[str, Any], sequence: int | None = None) -> str:
        env = new_envelope(
            subject=subject,
            source="/events",
            data=data,
            aggregate="x/1",
            correlation_id=None,
            sequence=sequence,
        )
        return await self.deliver(env)

    async def deliver(self, env: Any) -> str:
        sub = self.handlers[env.type.removeprefix(TYPE_PREFIX)]
        for _ in range(2):
            async with self.pool.acquire() as conn, conn.transaction():
                await sub.handler(conn, env, sub.model.model_validate(env.data))
        return env.id

    async def sent(self, maildir) -> list[EmailMessage]:
        """Everything queued so far, sent by the real sender; what the sink now holds."""
        sender = EmailSender(pool=self.pool, settings=self.settings)
        while await sender.send_due():
            pass
        return read_maildir(maildir)


@pytest.fixture
def bus(pool, settings) -> Bus:
    return Bus(pool, settings)


def event(**over: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "title": "Träff om bostäder",
        "kind": "meeting",
        "starts_at": MARCH_13.isoformat(),
        "ends_at": (MARCH_13 + timedelta(hours=1, minutes=30)).isoformat(),
        "timezone": ZONE,
        "venue_name": "Stadsbiblioteket",
        "venue_address": "Sveavägen 73",
        "audience": "public",
        "organiser_ids": [],
        "sequence": 0,
        **over,
    }


def person(name: str, email: str | None, language: str | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "email": email, "phone": None}
    if language:
        p["language"] = language
    return p


def version(ev: dict[str, Any]) -> dict[str, Any]:
    """The event's version each registration's payload carries (events.registrations.version_of)."""
    return {k: ev[k] for k in ("ends_at", "venue_name", "venue_address", "sequence")}


def registration(ev: dict[str, Any], who: dict[str, Any], status: str = "registered") -> dict[str, Any]:
    return {
        "registration_id": str(uuid.uuid4()),
        "event_id": ev["event_id"],
        "event_title": ev["title"],
        "starts_at": ev["starts_at"],
        "timezone": ev["timezone"],
        **version(ev),
        "status": status,
        "person": who,
        "organisation_id": None,
        "cancel_token": f"cancel.{uuid.uuid4().hex}",
    }


def accepted(ev: dict[str, Any], reg: dict[str, Any]) -> dict[str, Any]:
    return {
        "registration_id": reg["registration_id"],
        "event_id": ev["event_id"],
        "event_title": ev["title"],
        "starts_at": ev["starts_at"],
        "timezone": ev["timezone"],
        **version(ev),
        "cancel_token": "c.accepted",
    }


def offer_of(ev: dict[str, Any], reg: dict[str, Any], expires_at: datetime) -> dict[str, Any]:
    return {
        **{
            k: reg[k]
            for k in ("registration_id", "event_id", "event_title", "starts_at", "timezone", "person")
        },
        **version(ev),
        "expires_at": expires_at.isoformat(),
        "confirm_token": "yes.token",
        "decline_token": "no.token",
    }


def parts(msg: EmailMessage) -> dict[str, Any]:
    """The text, the HTML and the calendar files of a message, checked to be multipart/alternative."""
    alternative = [p for p in msg.walk() if p.get_content_type() == "multipart/alternative"]
    assert len(alternative) == 1, f"no multipart/alternative in {msg.get_content_type()}"
    inner = [p.get_content_type() for p in alternative[0].iter_parts()]
    assert inner == ["text/plain", "text/html"]
    calendars = [
        Calendar.from_ical(p.get_content()) for p in msg.walk() if p.get_content_type() == "text/calendar"
    ]
    return {
        "text": alternative[0].get_body(("plain",)).get_content(),
        "html": alternative[0].get_body(("html",)).get_content(),
        "calendars": calendars,
        "calendar_parts": [p for p in msg.walk() if p.get_content_type() == "text/calendar"],
    }


def vevent(cal: Calendar) -> Any:
    [ev] = cal.walk("VEVENT")
    return ev


async def test_a_registration_with_a_place_gets_a_confirmation_with_the_ics_and_the_cancel_link(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    reg = registration(ev, person("Anna Berg", "anna@example.se"))
    await bus.publish("events.registration.created.v1", reg)

    [msg] = await bus.sent(maildir)
    assert msg["To"] == "anna@example.se"
    assert msg["Subject"] == "Du är anmäld: Träff om bostäder måndag 13 mars"
    got = parts(msg)
    assert "När: måndag 13 mars 2028 kl. 13.30–15.00" in got["text"]
    assert "Var: Stadsbiblioteket, Sveavägen 73" in got["text"]
    cancel_url = f"https://delaktig.example.se/evenemang/avboka?token={reg['cancel_token']}"
    assert cancel_url in got["text"]
    assert f'href="{cancel_url}"' in got["html"]
    [cal] = got["calendars"]
    assert cal["METHOD"] == "REQUEST"
    entry = vevent(cal)
    assert str(entry["UID"]) == f"{ev['event_id']}@delaktig.events"
    assert entry["SEQUENCE"] == 0
    assert entry.decoded("DTSTART") == MARCH_13
    assert entry.decoded("DTEND") == MARCH_13 + timedelta(hours=1, minutes=30)
    assert "anna@example.se" in str(entry["ATTENDEE"])
    assert got["calendar_parts"][0].get_param("method") == "REQUEST"


async def test_the_waiting_list_gets_its_own_confirmation_without_a_calendar_entry(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    await bus.publish(
        "events.registration.created.v1", registration(ev, person("Bo Ek", "bo@example.se"), "waiting")
    )
    [msg] = await bus.sent(maildir)
    assert msg["Subject"] == "Du står på väntelistan: Träff om bostäder måndag 13 mars"
    got = parts(msg)
    assert got["calendars"] == []
    assert "Vill du inte stå kvar? Ta bort dig här:" in got["text"]


async def test_english_readers_get_english_with_english_dates(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    await bus.publish(
        "events.registration.created.v1", registration(ev, person("Ann Lee", "ann@example.se", "en"))
    )
    [msg] = await bus.sent(maildir)
    assert msg["Subject"] == "You are registered: Träff om bostäder Monday 13 March"
    assert msg["Content-Language"] == "en"
    got = parts(msg)
    assert "When: Monday 13 March 2028 at 13:30–15:00" in got["text"]
    assert '<html lang="en">' in got["html"]
    assert [p.get_filename() for p in got["calendar_parts"]] == ["invitation.ics"]


async def test_someone_without_an_address_or_added_at_the_door_gets_nothing(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    await bus.publish("events.registration.created.v1", registration(ev, person("Per Telefon", None)))
    walk_in = registration(ev, person("Dörr Gäst", "door@example.se")) | {"walk_in": True}
    await bus.publish("events.registration.created.v1", walk_in)
    assert await bus.sent(maildir) == []


async def test_an_offer_has_yes_and_no_links_and_accepting_it_sends_the_ics(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    reg = registration(ev, person("Bo Ek", "bo@example.se"), "waiting")
    await bus.publish("events.registration.created.v1", reg)
    offer = {
        "registration_id": reg["registration_id"],
        "event_id": ev["event_id"],
        "event_title": ev["title"],
        "starts_at": ev["starts_at"],
        "timezone": ZONE,
        "person": reg["person"],
        **version(ev),
        "expires_at": (MARCH_13 - timedelta(days=3)).isoformat(),
        "confirm_token": "yes.token",
        "decline_token": "no.token",
    }
    await bus.publish("events.offer.made.v1", offer)
    await bus.publish(
        "events.offer.accepted.v1",
        accepted(ev, reg) | {"cancel_token": "new.cancel"},
    )
    mails = await bus.sent(maildir)
    assert len(mails) == 3

    def the(prefix: str) -> EmailMessage:
        [msg] = [m for m in mails if m["Subject"].startswith(prefix)]
        return msg

    assert the("Du står på väntelistan")
    offer_text = parts(the("Vill du ha en plats?"))["text"]
    assert "https://delaktig.example.se/evenemang/erbjudande/ja?token=yes.token" in offer_text
    assert "https://delaktig.example.se/evenemang/erbjudande/nej?token=no.token" in offer_text
    assert "Vi håller den åt dig till fredag 10 mars 2028 kl. 13.30." in offer_text
    taken = parts(the("Platsen är din"))
    assert "https://delaktig.example.se/evenemang/avboka?token=new.cancel" in taken["text"]
    [cal] = taken["calendars"]
    assert cal["METHOD"] == "REQUEST"


async def test_a_promotion_from_the_waiting_list_sends_the_ics(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    reg = registration(ev, person("Bo Ek", "bo@example.se"), "waiting")
    await bus.publish("events.registration.created.v1", reg)
    promoted = {
        k: reg[k] for k in ("registration_id", "event_id", "event_title", "starts_at", "timezone", "person")
    } | version(ev)
    await bus.publish("events.registration.promoted.v1", promoted | {"cancel_token": "c2"})
    mails = await bus.sent(maildir)
    [msg] = [m for m in mails if m["Subject"].startswith("Du har fått en plats")]
    assert vevent(parts(msg)["calendars"][0])["SEQUENCE"] == 0


async def _three_people(bus) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """An event with one registered (sv), one registered (en) and one waiting."""
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    regs = {
        "anna": registration(ev, person("Anna Berg", "anna@example.se")),
        "ann": registration(ev, person("Ann Lee", "ann@example.se", "en")),
        "bo": registration(ev, person("Bo Ek", "bo@example.se"), "waiting"),
    }
    for reg in regs.values():
        await bus.publish("events.registration.created.v1", reg)
    return ev, regs


def change_of(ev: dict[str, Any], starts_at: datetime) -> dict[str, Any]:
    return {
        **{k: ev[k] for k in ("event_id", "title", "timezone")},
        "changes": ["rescheduled", "moved"],
        "previous_starts_at": ev["starts_at"],
        "previous_ends_at": ev["ends_at"],
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        "previous_venue_name": "Stadsbiblioteket",
        "previous_venue_address": "Sveavägen 73",
        "venue_name": "Kulturhuset",
        "venue_address": None,
        "sequence": ev["sequence"] + 1,
    }


def notice_of_change(change: dict[str, Any], reg: dict[str, Any]) -> dict[str, Any]:
    """What the events service tells one registration (events.notices.tell_changed)."""
    fields = ("starts_at", "ends_at", "timezone", "changes", "previous_starts_at", "previous_ends_at")
    venues = ("previous_venue_name", "previous_venue_address", "venue_name", "venue_address")
    return {
        "registration_id": reg["registration_id"],
        "event_id": change["event_id"],
        "event_title": change["title"],
        **{k: change[k] for k in fields + venues},
        "person": reg["person"],
        "status": reg["status"],
        "audience": "public",
        "cancel_token": f"fresh.{reg['registration_id']}",
        "sequence": change["sequence"],
    }


async def test_a_moved_event_tells_each_one_concerned_with_the_same_uid_and_a_higher_sequence(bus, sink):
    _, maildir = sink
    ev, regs = await _three_people(bus)
    first = {m["Message-ID"] for m in await bus.sent(maildir)}
    later = MARCH_13 + timedelta(days=7)
    change = change_of(ev, later)
    # One notice before the event's own `changed` (another aggregate: either may come first).
    await bus.publish("events.registration.event_changed.v1", notice_of_change(change, regs["anna"]))
    await bus.publish("events.event.changed.v1", change)
    for who in ("ann", "bo"):
        await bus.publish("events.registration.event_changed.v1", notice_of_change(change, regs[who]))

    by_to = {m["To"]: m for m in await bus.sent(maildir) if m["Message-ID"] not in first}
    assert set(by_to) == {"anna@example.se", "ann@example.se", "bo@example.se"}
    assert by_to["anna@example.se"]["Subject"] == "Ny tid: Träff om bostäder måndag 20 mars"
    anna = parts(by_to["anna@example.se"])
    assert "Ny tid: måndag 20 mars 2028 kl. 13.30–15.30" in anna["text"]
    assert "Förut: måndag 13 mars 2028 kl. 13.30–15.00" in anna["text"]
    assert "Ny plats: Kulturhuset" in anna["text"]
    assert f"avboka?token=fresh.{regs['anna']['registration_id']}" in anna["text"]
    assert "New time: Monday 20 March 2028 at 13:30–15:30" in parts(by_to["ann@example.se"])["text"]
    for who in ("anna@example.se", "ann@example.se"):
        [cal] = parts(by_to[who])["calendars"]
        entry = vevent(cal)
        assert cal["METHOD"] == "REQUEST"
        assert str(entry["UID"]) == f"{ev['event_id']}@delaktig.events"
        assert entry["SEQUENCE"] == 1, who
        assert entry.decoded("DTSTART") == later
    waiting = parts(by_to["bo@example.se"])
    assert waiting["calendars"] == []
    assert "Du står kvar på väntelistan." in waiting["text"]


async def test_a_cancelled_event_tells_each_one_concerned_and_cancels_the_calendar_entry(bus, sink, pool):
    _, maildir = sink
    ev, regs = await _three_people(bus)
    first = {m["Message-ID"] for m in await bus.sent(maildir)}
    cancelled = {
        "event_id": ev["event_id"],
        "title": ev["title"],
        "starts_at": ev["starts_at"],
        "timezone": ZONE,
        "reason": "Den som skulle tala är sjuk.",
        "sequence": 1,
    }
    await bus.publish("events.event.cancelled.v1", cancelled)
    for reg in regs.values():
        notice = {
            "registration_id": reg["registration_id"],
            "event_id": ev["event_id"],
            "event_title": ev["title"],
            "starts_at": ev["starts_at"],
            "timezone": ZONE,
            "person": reg["person"],
            "previous_status": reg["status"],
            "reason": cancelled["reason"],
            "sequence": cancelled["sequence"],
        }
        await bus.publish("events.registration.event_cancelled.v1", notice)

    by_to = {m["To"]: m for m in await bus.sent(maildir) if m["Message-ID"] not in first}
    assert set(by_to) == {"anna@example.se", "ann@example.se", "bo@example.se"}
    assert by_to["anna@example.se"]["Subject"] == "Inställt: Träff om bostäder måndag 13 mars"
    anna = parts(by_to["anna@example.se"])
    assert "Varför: Den som skulle tala är sjuk." in anna["text"]
    [cal] = anna["calendars"]
    entry = vevent(cal)
    assert cal["METHOD"] == "CANCEL"
    assert str(entry["STATUS"]) == "CANCELLED"
    assert str(entry["UID"]) == f"{ev['event_id']}@delaktig.events"
    assert entry["SEQUENCE"] == 1
    assert by_to["ann@example.se"]["Subject"] == "Cancelled: Träff om bostäder Monday 13 March"
    assert parts(by_to["bo@example.se"])["calendars"] == []
    # Told: notify keeps nobody's address for a cancelled event.
    async with pool.acquire() as conn:
        left = await conn.fetchval(
            "SELECT count(*) FROM event_registrants WHERE event_id = $1", ev["event_id"]
        )
    assert left == 0


async def test_each_email_reaches_the_sink_once_though_every_event_came_twice(bus, sink):
    _, maildir = sink
    await _three_people(bus)
    await bus.sent(maildir)
    counts = deliveries(attempts_log_for(maildir))
    assert len(counts) == 3 and set(counts.values()) == {1}


async def test_a_reminder_goes_to_the_person_with_the_cancel_link(bus, sink):
    _, maildir = sink
    ev = event()
    reminder = {
        "registration_id": str(uuid.uuid4()),
        "event_id": ev["event_id"],
        "event_title": ev["title"],
        "starts_at": ev["starts_at"],
        "ends_at": ev["ends_at"],
        "timezone": ZONE,
        "venue_name": "Stadsbiblioteket",
        "venue_address": None,
        "minutes_before": 1440,
        "person": person("Anna Berg", "anna@example.se"),
        "cancel_token": "rem.token",
    }
    await bus.publish("events.reminder.due.v1", reminder)
    [msg] = await bus.sent(maildir)
    assert msg["Subject"] == "Påminnelse: Träff om bostäder måndag 13 mars"
    assert "https://delaktig.example.se/evenemang/avboka?token=rem.token" in parts(msg)["text"]


async def test_an_expired_offer_says_so_and_forgets_the_person(bus, sink, pool):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    reg = registration(ev, person("Bo Ek", "bo@example.se"), "waiting")
    await bus.publish("events.registration.created.v1", reg)
    await bus.publish("events.offer.made.v1", offer_of(ev, reg, MARCH_13 - timedelta(days=1)))
    expired = {"registration_id": reg["registration_id"], "event_id": ev["event_id"]}
    await bus.publish("events.offer.expired.v1", expired | {"expired_at": MARCH_13.isoformat()})
    subjects = sorted(m["Subject"] for m in await bus.sent(maildir))
    assert len(subjects) == 3
    assert "Du står på väntelistan: Träff om bostäder måndag 13 mars" in subjects
    assert "Tiden gick ut: Träff om bostäder måndag 13 mars" in subjects
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM event_registrants WHERE event_id = $1", ev["event_id"])
            == 0
        )


async def test_a_registration_before_its_event_is_known_is_confirmed_from_its_own_payload(bus, sink):
    _, maildir = sink
    ev = event(sequence=4)
    await bus.publish(
        "events.registration.created.v1", registration(ev, person("Anna Berg", "anna@example.se"))
    )
    [msg] = await bus.sent(maildir)
    entry = vevent(parts(msg)["calendars"][0])
    assert entry["SEQUENCE"] == 4
    assert entry.decoded("DTSTART") == MARCH_13


async def test_a_registration_just_after_a_reschedule_gets_the_new_time_before_notify_hears_of_it(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    later = MARCH_13 + timedelta(days=7)
    moved = ev | change_of(ev, later) | {"title": "Träff om bostäder och parker"}
    # The registration's own aggregate: its event can come before the event's `changed`.
    await bus.publish(
        "events.registration.created.v1", registration(moved, person("Anna Berg", "anna@example.se"))
    )
    [msg] = await bus.sent(maildir)
    got = parts(msg)
    assert "När: måndag 20 mars 2028 kl. 13.30–15.30" in got["text"]
    entry = vevent(got["calendars"][0])
    assert entry["SEQUENCE"] == 1
    assert entry.decoded("DTSTART") == later
    assert str(entry["SUMMARY"]) == "Träff om bostäder och parker"
    assert "Kulturhuset" in str(entry["LOCATION"])


async def test_two_quick_reschedules_give_each_notice_its_own_rising_sequence(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    anna = registration(ev, person("Anna Berg", "anna@example.se"))
    await bus.publish("events.registration.created.v1", anna)
    first = {m["Message-ID"] for m in await bus.sent(maildir)}
    once = change_of(ev, MARCH_13 + timedelta(days=7))
    twice = change_of(ev | {"sequence": 1}, MARCH_13 + timedelta(days=14))
    # Both notices before either of the event's own `changed`: notify's copy still says SEQUENCE 0.
    await bus.publish("events.registration.event_changed.v1", notice_of_change(once, anna))
    await bus.publish("events.registration.event_changed.v1", notice_of_change(twice, anna))
    new = [m for m in await bus.sent(maildir) if m["Message-ID"] not in first]
    sequences = sorted(
        (vevent(parts(m)["calendars"][0]).decoded("DTSTART"), vevent(parts(m)["calendars"][0])["SEQUENCE"])
        for m in new
    )
    assert [s for _, s in sequences] == [1, 2]


async def test_a_cancellation_notice_carries_its_sequence_when_notify_has_no_copy_of_the_event(bus, sink):
    _, maildir = sink
    ev = event()
    anna = registration(ev, person("Anna Berg", "anna@example.se"))
    notice = {
        k: anna[k] for k in ("registration_id", "event_id", "event_title", "starts_at", "timezone", "person")
    } | {"previous_status": "registered", "reason": None, "sequence": 3}
    await bus.publish("events.registration.event_cancelled.v1", notice)
    [msg] = await bus.sent(maildir)
    [cal] = parts(msg)["calendars"]
    assert cal["METHOD"] == "CANCEL"
    assert vevent(cal)["SEQUENCE"] == 3


async def test_old_events_replayed_to_a_new_durable_send_nothing_once_their_time_has_passed(bus, sink, pool):
    """A first subscription to `events.>` starts at the stream's beginning."""
    _, maildir = sink
    started = event(
        starts_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        ends_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    )
    soon = event()
    await bus.publish("events.event.published.v1", started)
    await bus.publish("events.registration.created.v1", registration(started, person("A", "a@example.se")))
    bo = registration(started, person("Bo Ek", "bo@example.se"), "waiting")
    await bus.publish(
        "events.registration.promoted.v1",
        {k: v for k, v in bo.items() if k not in ("status", "organisation_id")},
    )
    reminder = (
        {
            k: bo[k]
            for k in (
                "registration_id",
                "event_id",
                "event_title",
                "starts_at",
                "timezone",
                "person",
                "cancel_token",
            )
        }
        | {k: started[k] for k in ("ends_at", "venue_name", "venue_address")}
        | {"minutes_before": 60}
    )
    await bus.publish("events.reminder.due.v1", reminder)
    ce = registration(soon, person("Ce Ek", "ce@example.se"), "waiting")
    gone_by = datetime.now(UTC) - timedelta(minutes=5)
    await bus.publish("events.offer.made.v1", offer_of(soon, ce, gone_by))
    assert await bus.sent(maildir) == []
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM event_registrants") == 0


async def test_a_confirmation_after_its_event_was_cancelled_is_not_sent(bus, sink):
    _, maildir = sink
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    cancelled = {k: ev[k] for k in ("event_id", "title", "starts_at", "timezone")} | {
        "reason": None,
        "sequence": 1,
    }
    await bus.publish("events.event.cancelled.v1", cancelled)
    await bus.publish(
        "events.registration.created.v1", registration(ev, person("Anna Berg", "anna@example.se"))
    )
    assert await bus.sent(maildir) == []


async def _addresses_held(pool) -> set[str]:
    """Every text in notify's read-model tables (the copies of events and meetings, and registrants)."""
    held: set[str] = set()
    async with pool.acquire() as conn:
        for table in ("event_calendar", "event_registrants", "meeting_calendar"):
            for row in await conn.fetch(f"SELECT * FROM {table}"):
                held |= {str(v) for v in row.values() if v is not None}
    return held


async def test_notify_keeps_a_registrants_address_only_while_an_offer_is_open(bus, pool):
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    anna = registration(ev, person("Anna Berg", "anna@example.se"))
    await bus.publish("events.registration.created.v1", anna)
    bo = registration(ev, person("Bo Ek", "bo@example.se"), "waiting")
    await bus.publish("events.registration.created.v1", bo)
    promoted = {k: v for k, v in bo.items() if k not in ("status", "organisation_id")}
    await bus.publish("events.registration.promoted.v1", promoted)
    change = change_of(ev, MARCH_13 + timedelta(days=7))
    await bus.publish("events.registration.event_changed.v1", notice_of_change(change, anna))
    assert "anna@example.se" not in await _addresses_held(pool)
    assert "bo@example.se" not in await _addresses_held(pool)

    ce = registration(ev, person("Ce Ek", "ce@example.se"), "waiting")
    await bus.publish("events.offer.made.v1", offer_of(ev, ce, MARCH_13 - timedelta(days=1)))
    assert "ce@example.se" in await _addresses_held(pool)  # offer.accepted and .expired carry only ids
    await bus.publish("events.offer.accepted.v1", accepted(ev, ce))
    assert "ce@example.se" not in await _addresses_held(pool)


async def test_an_address_that_is_no_address_gets_no_email_and_no_failure(bus, pool):
    ev = event()
    await bus.publish("events.event.published.v1", ev)
    await bus.publish(
        "events.registration.created.v1", registration(ev, person("Anna Berg", "anna at example"))
    )
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM emails") == 0


def volunteer_offer(channel: str = "email", language: str = "sv") -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "pool_id": str(uuid.uuid4()),
        "pool_key": "kulturnatten",
        "pool_name": "Värdar på Kulturnatten",
        "starts_at": MARCH_13.isoformat(),
        "ends_at": (MARCH_13 + timedelta(hours=3)).isoformat(),
        "timezone": ZONE,
        "place": "Stadsbiblioteket",
        "source": "staff",
        "source_ref": None,
        "offer_id": str(uuid.uuid4()),
        "volunteer_id": str(uuid.uuid4()),
        "needs": "Två som kan visa vägen.",
        "expires_at": (MARCH_13 - timedelta(days=2)).isoformat(),
        "accept_token": "acc.tok",
        "decline_token": "dec.tok",
        "recipient": {
            "name": "Vera Volontär",
            "email": "vera@example.se",
            "phone": None,
            "language": language,
            "channel": channel,
        },
    }


async def test_a_volunteer_gets_the_offer_with_accept_and_decline_links(bus, sink):
    _, maildir = sink
    await bus.publish("volunteers.offer.sent.v1", volunteer_offer())
    [msg] = await bus.sent(maildir)
    assert msg["To"] == "vera@example.se"
    assert msg["Subject"] == "Kan du hjälpa till? Värdar på Kulturnatten måndag 13 mars"
    got = parts(msg)
    assert "https://delaktig.example.se/volontar/erbjudande/ja?token=acc.tok" in got["text"]
    assert 'href="https://delaktig.example.se/volontar/erbjudande/nej?token=dec.tok"' in got["html"]
    assert "Svara senast lördag 11 mars 2028 kl. 13.30." in got["text"]


async def test_a_volunteer_who_wants_a_text_message_gets_no_email(bus, sink):
    _, maildir = sink
    await bus.publish("volunteers.offer.sent.v1", volunteer_offer(channel="sms"))
    assert await bus.sent(maildir) == []


async def test_a_meeting_invitation_reaches_the_sink_with_its_ics(bus, sink):
    _, maildir = sink
    meeting = {
        "meeting_id": str(uuid.uuid4()),
        "title": "Gemensam utvecklingsgrupp",
        "group_name": None,
        "starts_at": MARCH_13.isoformat(),
        "ends_at": (MARCH_13 + timedelta(hours=2)).isoformat(),
        "timezone": ZONE,
        "place": "Bryggan",
        "invitees": [{"name": "Leif Redestig", "email": "leif@example.se"}],
    }
    await bus.publish("meetings.meeting.scheduled.v1", meeting)
    [msg] = await bus.sent(maildir)
    assert msg["Subject"] == "Nytt möte: Gemensam utvecklingsgrupp måndag 13 mars"
    got = parts(msg)
    assert "När: måndag 13 mars 2028 kl. 13.30–15.30" in got["text"]
    [cal] = got["calendars"]
    assert cal["METHOD"] == "REQUEST"
    assert str(vevent(cal)["UID"]) == f"{meeting['meeting_id']}@delaktig.meetings"
    assert [p.get_filename() for p in got["calendar_parts"]] == ["inbjudan.ics"]


async def test_notify_forgets_events_a_day_after_they_ended_and_who_was_registered(bus, pool):
    old = event(
        starts_at=(datetime.now(UTC) - timedelta(days=3)).isoformat(),
        ends_at=(datetime.now(UTC) - timedelta(days=2)).isoformat(),
    )
    soon = event(starts_at=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    soon["ends_at"] = (datetime.fromisoformat(soon["starts_at"]) + timedelta(hours=2)).isoformat()
    for ev in (old, soon):
        await bus.publish("events.event.published.v1", ev)
    offer_ends = datetime.now(UTC) + timedelta(days=1)
    bo = registration(soon, person("Bo Ek", "bo@example.se"), "waiting")
    await bus.publish("events.offer.made.v1", offer_of(soon, bo, offer_ends))
    async with pool.acquire() as conn:
        # An offer still open when its event ended (nothing sends one so late, so written here).
        await conn.execute(
            "INSERT INTO event_registrants VALUES ($1, $2, 'Anna Berg', 'anna@example.se', 'sv', 'offered')",
            str(uuid.uuid4()),
            old["event_id"],
        )
        # A meeting's SEQUENCE is kept a month past its start, then forgotten.
        await conn.execute(
            "INSERT INTO meeting_calendar (meeting_id, sequence, last_event_id, starts_at)"
            " VALUES ('m-old', 2, $1, now() - interval '31 days'), ('m-soon', 0, $1, now())",
            uuid.uuid4(),
        )
    assert await forget_past_events(pool) >= 1
    async with pool.acquire() as conn:
        meetings = {r["meeting_id"] for r in await conn.fetch("SELECT meeting_id FROM meeting_calendar")}
    assert meetings == {"m-soon"}
    async with pool.acquire() as conn:
        kept = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM event_registrants")}
        events_kept = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM event_calendar")}
    assert old["event_id"] not in kept | events_kept
    assert soon["event_id"] in kept and soon["event_id"] in events_kept


async def test_a_replayed_older_meeting_change_is_not_sent_with_a_higher_sequence(bus, sink, pool):
    _, maildir = sink
    meeting = {
        "meeting_id": str(uuid.uuid4()),
        "title": "Styrelsemöte",
        "starts_at": MARCH_13.isoformat(),
        "ends_at": (MARCH_13 + timedelta(hours=2)).isoformat(),
        "timezone": ZONE,
        "invitees": [{"name": "Leif Redestig", "email": "leif@example.se"}],
    }

    def moved(days: int) -> dict[str, Any]:
        at = MARCH_13 + timedelta(days=days)
        return meeting | {
            "starts_at": at.isoformat(),
            "ends_at": (at + timedelta(hours=2)).isoformat(),
            "previous_starts_at": meeting["starts_at"],
        }

    await bus.publish("meetings.meeting.scheduled.v1", meeting, sequence=1)
    first_move = new_envelope(
        subject="meetings.meeting.rescheduled.v1",
        source="/meetings",
        data=moved(1),
        aggregate="x/1",
        correlation_id=None,
        sequence=2,
    )
    await bus.publish("meetings.meeting.rescheduled.v1", moved(2), sequence=3)
    before = len(await bus.sent(maildir))
    # The first move, dead-lettered, replayed after the second was sent: its time is stale.
    await bus.deliver(first_move)
    assert len(await bus.sent(maildir)) == before == 2


def volunteer_assignment(channel: str = "email", language: str = "sv") -> dict[str, Any]:
    offer = volunteer_offer(channel=channel, language=language)
    for gone in ("needs", "expires_at", "accept_token", "decline_token"):
        del offer[gone]
    return {**offer, "assignment_id": str(uuid.uuid4()), "cancel_token": "can.tok"}


async def test_a_volunteer_with_a_place_gets_the_cancel_link_and_the_ics_once(bus, sink):
    _, maildir = sink
    confirmed = volunteer_assignment()
    await bus.publish("volunteers.assignment.confirmed.v1", confirmed)
    [msg] = await bus.sent(maildir)
    assert msg["To"] == "vera@example.se"
    assert msg["Subject"] == "Tack! Du hjälper till: Värdar på Kulturnatten måndag 13 mars"
    got = parts(msg)
    assert "När: måndag 13 mars 2028 kl. 13.30–16.30" in got["text"]
    assert "https://delaktig.example.se/volontar/uppdrag/avboka?token=can.tok" in got["text"]
    assert 'href="https://delaktig.example.se/volontar/uppdrag/avboka?token=can.tok"' in got["html"]
    [cal] = got["calendars"]
    assert cal["METHOD"] == "REQUEST"
    assert str(vevent(cal)["UID"]) == f"{confirmed['assignment_id']}@delaktig.volunteers"
    assert vevent(cal).decoded("DTSTART") == MARCH_13
    assert str(vevent(cal)["LOCATION"]) == "Stadsbiblioteket"
    counts = deliveries(attempts_log_for(maildir))
    assert list(counts.values()) == [1]


async def test_a_volunteer_with_a_place_reads_it_in_english_and_by_text_gets_no_email(bus, sink):
    _, maildir = sink
    await bus.publish("volunteers.assignment.confirmed.v1", volunteer_assignment(language="en"))
    await bus.publish("volunteers.assignment.confirmed.v1", volunteer_assignment(channel="sms"))
    [msg] = await bus.sent(maildir)
    assert msg["Subject"] == "Thank you! You are helping: Värdar på Kulturnatten Monday 13 March"
    assert "When: Monday 13 March 2028 at 13:30–16:30" in parts(msg)["text"]
    assert [p.get_filename() for p in parts(msg)["calendar_parts"]] == ["invitation.ics"]


def reviewer(name: str, email: str | None, language: str = "sv", channel: str = "email") -> dict[str, Any]:
    return {
        "review_reviewer_id": str(uuid.uuid4()),
        "volunteer_id": str(uuid.uuid4()),
        "token": f"rev.{name.split()[0].lower()}",
        "recipient": {
            "name": name,
            "email": email,
            "phone": None if email else "070-123 45 67",
            "language": language,
            "channel": channel,
        },
    }


async def test_each_reviewer_by_email_gets_the_review_link_once_in_their_language(bus, sink):
    _, maildir = sink
    submitted = {
        "review_id": str(uuid.uuid4()),
        "pool_id": str(uuid.uuid4()),
        "kind": "brochure",
        "title": "Så söker du bostad",
        "deadline": "2028-03-20",
        "original_lix": 52.0,
        "submitted_by": "staff-1",
        "submitted_by_name": "Sara Samordnare",
        "reviewers": [
            reviewer("Rut Läsare", "rut@example.se"),
            reviewer("Ed Reader", "ed@example.se", language="en"),
            reviewer("Tom Telefon", None, channel="phone"),
        ],
    }
    await bus.publish("volunteers.review.submitted.v1", submitted)
    by_to = {m["To"]: m for m in await bus.sent(maildir)}
    assert sorted(by_to) == ["ed@example.se", "rut@example.se"]
    rut, ed = parts(by_to["rut@example.se"]), parts(by_to["ed@example.se"])
    assert by_to["rut@example.se"]["Subject"] == "Kan du läsa en text? Så söker du bostad"
    assert "https://delaktig.example.se/volontar/granskning?token=rev.rut" in rut["text"]
    assert 'href="https://delaktig.example.se/volontar/granskning?token=rev.rut"' in rut["html"]
    assert "måndag 20 mars 2028" in rut["text"]
    assert by_to["ed@example.se"]["Subject"] == "Can you read a text? Så söker du bostad"
    assert "https://delaktig.example.se/volontar/granskning?token=rev.ed" in ed["text"]
    assert rut["calendars"] == [] and ed["calendars"] == []
    counts = deliveries(attempts_log_for(maildir))
    assert len(counts) == 2 and set(counts.values()) == {1}
