"""The feeds, parsed back: iCalendar with `icalendar`, Atom with `feedparser`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
from icalendar import Calendar

from events import feeds

NOW = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Stockholm")
FEED = feeds.Feed(
    name="Delaktig – evenemang",
    page_url="https://delaktig.example/evenemang",
    feed_url="https://delaktig.example/api/events/v1/public/feeds/events.ics",
    public_url="https://delaktig.example",
    zone=ZONE,
    refresh=timedelta(hours=1),
    now=NOW,
)


def row(**kw: Any) -> dict[str, Any]:
    start = datetime(2026, 4, 13, 10, 30, tzinfo=UTC)
    return {
        "id": uuid.uuid4(),
        "title": "Var med och påverka! Inbjudan till dialog",
        "description_sv": "Ett långt stycke text " * 20,
        "kind": "dialogue",
        "venue_name": "Yrkeshögskolan",
        "venue_address": "Rönnowsgatan 8",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3, minutes=30),
        "status": "published",
        "cancel_reason": None,
        "sequence": 0,
        "external_url": None,
        "audience": "public",
        "created_at": NOW - timedelta(days=3),
        "updated_at": NOW - timedelta(days=1),
    } | kw


def test_the_calendar_has_stable_uids_local_times_a_time_zone_and_refresh_hints() -> None:
    first = row()
    text = feeds.icalendar([first], FEED)
    assert b"\r\n" in text and all(len(line) <= 75 for line in text.split(b"\r\n"))  # folded, CRLF
    cal = Calendar.from_ical(text)
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"{first['id']}@delaktig.events"
    assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"
    start = event.decoded("DTSTART")
    assert start == first["starts_at"] and str(start.tzinfo) == "Europe/Stockholm" and start.hour == 12
    assert str(event["LOCATION"]) == "Yrkeshögskolan, Rönnowsgatan 8"
    assert event.decoded("DTSTAMP") == NOW
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    assert cal.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert "X-PUBLISHED-TTL" in cal and str(cal["NAME"]) == FEED.name


def test_a_cancelled_event_stays_with_status_cancelled_and_a_higher_sequence() -> None:
    cancelled = row(status="cancelled", sequence=2, cancel_reason="Lokalen är inte tillgänglig.")
    (event,) = Calendar.from_ical(feeds.icalendar([cancelled], FEED)).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 2
    assert "inställt" in str(event["DESCRIPTION"]) and "Lokalen" in str(event["DESCRIPTION"])


def test_an_only_announced_event_links_to_its_organisers_page() -> None:
    announced = row(external_url="https://anhorigstod.example/oppet-mote")
    (event,) = Calendar.from_ical(feeds.icalendar([announced], FEED)).walk("VEVENT")
    assert str(event["URL"]) == "https://anhorigstod.example/oppet-mote"


def test_the_atom_feed_parses_with_the_same_events_and_marks_cancellations() -> None:
    a, b = row(), row(status="cancelled", title="Föreläsning")
    parsed = feedparser.parse(feeds.atom([a, b], FEED))
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == FEED.name
    assert [e.id for e in parsed.entries] == [f"urn:uuid:{a['id']}", f"urn:uuid:{b['id']}"]
    assert parsed.entries[1].title == "INSTÄLLT: Föreläsning"
    assert parsed.entries[0].link == f"https://delaktig.example/evenemang/{a['id']}"
    assert "12:30–16:00" in parsed.entries[0].summary  # on the service's clock


def test_an_empty_feed_is_still_a_valid_calendar_and_feed() -> None:
    assert Calendar.from_ical(feeds.icalendar([], FEED)).walk("VEVENT") == []
    assert not feedparser.parse(feeds.atom([], FEED)).bozo


def test_an_event_that_is_not_public_is_private_in_the_calendar() -> None:
    staff_day, public = row(audience="staff"), row()
    cal = Calendar.from_ical(feeds.icalendar([staff_day, public], FEED))
    classes = {str(e["UID"]): str(e["CLASS"]) for e in cal.walk("VEVENT")}
    assert classes == {feeds.uid(staff_day["id"]): "PRIVATE", feeds.uid(public["id"]): "PUBLIC"}


def test_an_entry_that_cannot_be_written_is_left_out_and_the_rest_of_the_feed_is_served() -> None:
    # Text stored before the API refused control characters: XML cannot carry \x01.
    broken, good = row(title="Trasig\x01titel"), row(title="Hel")
    parsed = feedparser.parse(feeds.atom([broken, good], FEED))
    assert [e.title for e in parsed.entries] == ["Hel"]
    missing_time = row(starts_at=None)
    cal = Calendar.from_ical(feeds.icalendar([missing_time, good], FEED))
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Hel"]
