"""Invitations' calendar files: iTIP REQUEST and CANCEL that the icalendar package reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from notify import calendar
from notify.calendar import Attendee, Entry

START = datetime(2017, 3, 13, 12, 30, tzinfo=UTC)
ZONE = ZoneInfo("America/New_York")  # any zone but UTC
ENTRY = Entry(
    uid=calendar.event_uid("e1"),
    sequence=3,
    title="Träff, om bostäder; med mat",
    starts_at=START,
    ends_at=START + timedelta(hours=2),
    location="Stadsbiblioteket, Sveavägen 73",
    url="https://delaktig.example.se/evenemang/e1",
)
ANNA = Attendee("Anna Berg", "anna@example.se", "ACCEPTED")


def parse(method: str) -> tuple[Calendar, object]:
    text = calendar.ics(
        ENTRY, method=method, organizer="Delaktig <noreply@x.se>", attendee=ANNA, stamp=START
    )
    cal = Calendar.from_ical(text)
    [event] = cal.walk("VEVENT")
    return cal, event


def test_a_request_is_an_invitation_with_the_entrys_uid_sequence_times_and_place():
    cal, event = parse("REQUEST")
    assert cal["METHOD"] == "REQUEST"
    assert str(event["UID"]) == "e1@delaktig.events"
    assert event["SEQUENCE"] == 3
    assert event.decoded("DTSTART") == START and event.decoded("DTEND") == START + timedelta(hours=2)
    assert str(event["SUMMARY"]) == "Träff, om bostäder; med mat"
    assert str(event["LOCATION"]) == "Stadsbiblioteket, Sveavägen 73"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:noreply@x.se"
    assert str(event["ATTENDEE"]) == "mailto:anna@example.se"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"  # nobody reads replies to a no-reply address
    assert not cal.walk("VTIMEZONE"), "UTC times need no zone described"


def test_a_cancel_keeps_the_uid_and_says_cancelled():
    cal, event = parse("CANCEL")
    assert cal["METHOD"] == "CANCEL"
    assert str(event["UID"]) == "e1@delaktig.events"
    assert str(event["STATUS"]) == "CANCELLED"


def test_the_same_change_writes_the_same_bytes():
    def text() -> str:
        return calendar.ics(
            ENTRY, method="REQUEST", organizer="x@y.se", attendee=ANNA, stamp=START
        )

    assert text() == text()


def test_the_attachment_names_its_method_and_language():
    a = calendar.attachment("BEGIN:VCALENDAR", method="CANCEL", language="en")
    assert a.content_type == "text/calendar; method=CANCEL; charset=utf-8"
    assert a.filename == "invitation.ics"
    assert calendar.attachment("x", method="REQUEST", language="sv").filename == "inbjudan.ics"


def test_each_attendee_gets_the_same_entry_with_their_own_attendee_line():
    def for_(who: Attendee) -> Calendar:
        text = calendar.ics(ENTRY, method="REQUEST", organizer="x@y.se", attendee=who, stamp=START)
        return Calendar.from_ical(text)

    odd = Attendee('Berg, Anna; "Nisse" Långnamnsdotter-Öberg med ett mycket långt namn', "nisse@example.se")
    first, second = for_(ANNA), for_(odd)
    [a], [b] = first.walk("VEVENT"), second.walk("VEVENT")
    assert str(a["ATTENDEE"]) == "mailto:anna@example.se"
    assert str(b["ATTENDEE"]) == "mailto:nisse@example.se"
    assert b["ATTENDEE"].params["CN"] == 'Berg, Anna; "Nisse" Långnamnsdotter-Öberg med ett mycket långt namn'
    assert {k: v for k, v in a.items() if k != "ATTENDEE"} == {k: v for k, v in b.items() if k != "ATTENDEE"}


def test_an_entry_in_the_autumn_fold_is_read_back_at_its_exact_instant():
    """02:30 on the last Sunday of October happens twice in Stockholm: the second is 01:30 UTC."""
    second_half_past_two = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    entry = Entry(
        uid=calendar.event_uid("fold"),
        sequence=0,
        title="Nattpromenad",
        starts_at=second_half_past_two,
        ends_at=second_half_past_two + timedelta(hours=1),
    )
    text = calendar.ics(entry, method="REQUEST", organizer="x@y.se", attendee=ANNA, stamp=START)
    [event] = Calendar.from_ical(text).walk("VEVENT")
    assert event.decoded("DTSTART") == second_half_past_two
    assert event.decoded("DTEND") == second_half_past_two + timedelta(hours=1)
    assert "DTSTART:20261025T013000Z" in text


def test_one_entry_for_many_people_is_written_once_whatever_each_notices_time():
    """A fan-out's notices each carry their own time (DTSTAMP): the entry is still written by icalendar
    once, and each file still has its own notice's DTSTAMP."""
    calendar._without_attendee.cache_clear()
    stamps = [START + timedelta(microseconds=n * 1001) for n in range(5)]
    texts = [calendar.ics(ENTRY, method="CANCEL", organizer="x@y.se", attendee=ANNA, stamp=s) for s in stamps]
    assert calendar._without_attendee.cache_info().misses == 1
    for stamp, text in zip(stamps, texts, strict=True):
        [event] = Calendar.from_ical(text).walk("VEVENT")
        assert event.decoded("DTSTAMP") == stamp.replace(microsecond=0)
    [local] = Calendar.from_ical(
        calendar.ics(ENTRY, method="CANCEL", organizer="x@y.se", attendee=ANNA, stamp=START.astimezone(ZONE))
    ).walk("VEVENT")
    assert local.decoded("DTSTAMP") == START and local.decoded("DTSTAMP").utcoffset() == timedelta(0)
