"""Calendar files that go with invitations (iCalendar, iTIP over email: RFC 5545, 5546, 6047).

An invitation is METHOD:REQUEST; a cancellation is METHOD:CANCEL with the same UID. Every version
of an entry has a SEQUENCE higher than the one before, so a calendar replaces what it holds instead
of keeping two entries. An event's UID and SEQUENCE are the events feeds' own (events.feeds), so
the entry someone got by email and the one from a subscribed feed are the same entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from functools import lru_cache
from typing import Literal

from icalendar import Calendar, Event, vCalAddress, vDDDTypes, vText
from icalendar.parser import Contentline
from icalendar.timezone import tzp

from notify.mailing import Attachment

PRODID = "-//Delaktig//Notify//SV"
# The events service's feeds write `<event id>@delaktig.events` (events.feeds.UID_DOMAIN); a test
# in tests/contracts checks the two agree.
EVENTS_UID_DOMAIN = "delaktig.events"
MEETINGS_UID_DOMAIN = "delaktig.meetings"
VOLUNTEERS_UID_DOMAIN = "delaktig.volunteers"

Method = Literal["REQUEST", "CANCEL"]
_FILENAMES = {"sv": "inbjudan.ics", "en": "invitation.ics"}


def event_uid(event_id: str) -> str:
    return f"{event_id}@{EVENTS_UID_DOMAIN}"


def meeting_uid(meeting_id: str) -> str:
    return f"{meeting_id}@{MEETINGS_UID_DOMAIN}"


def assignment_uid(assignment_id: str) -> str:
    return f"{assignment_id}@{VOLUNTEERS_UID_DOMAIN}"


@dataclass(frozen=True)
class Entry:
    """One calendar entry, in the version the email is about."""

    uid: str
    sequence: int
    title: str
    starts_at: datetime
    ends_at: datetime | None  # a cancellation may not know it; DTSTART and the UID are enough
    location: str | None = None
    url: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    # "ACCEPTED" for someone who registered themselves; "NEEDS-ACTION" for an invitee.
    partstat: str = "NEEDS-ACTION"


def place(name: str | None, address: str | None) -> str | None:
    """The location as the events feeds write it: name, address."""
    return ", ".join(p for p in (name, address) if p) or None


def ics(entry: Entry, *, method: Method, organizer: str, attendee: Attendee, stamp: datetime) -> str:
    """The .ics text for one attendee; `stamp` (DTSTAMP) is when the change happened, so a retry
    writes the same bytes. Times are written in UTC (…Z): a local time with TZID is ambiguous in
    the autumn fold (02:30 on the last Sunday of October happens twice), and calendars show UTC
    in their reader's own zone anyway.

    A fan-out writes one entry to thousands of people, and icalendar takes milliseconds per file:
    the file without its ATTENDEE is written once per entry, and each attendee's line (written by
    icalendar too) goes in before its END:VEVENT. So is the DTSTAMP line: each person's notice is
    an event of its own, with its own time.
    """
    before, after = _without_attendee(entry, method, organizer)
    # In UTC, as icalendar's own `add` writes DTSTAMP (RFC 5545 asks it).
    stamp_line = _property_line("DTSTAMP", vDDDTypes(tzp.localize_utc(stamp)))
    return before.replace(_STAMP_LINE, "\r\n" + stamp_line, 1) + (
        _attendee_lines(attendee) + after
    )


_END_OF_EVENT = "END:VEVENT\r\n"
# Written by icalendar in the cached entry, and replaced by the notice's own DTSTAMP.
_STAMP_STAND_IN = datetime(1970, 1, 1, tzinfo=UTC)
# At the start of a line (a folded line starts with a space): never text inside another property.
_STAMP_LINE = "\r\nDTSTAMP:19700101T000000Z\r\n"


@lru_cache(maxsize=256)
def _without_attendee(entry: Entry, method: Method, organizer: str) -> tuple[str, str]:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    ev = Event()
    ev.add("uid", entry.uid)
    ev.add("sequence", entry.sequence)
    ev.add("dtstamp", _STAMP_STAND_IN)
    ev.add("dtstart", entry.starts_at.astimezone(UTC))
    if entry.ends_at is not None:
        ev.add("dtend", entry.ends_at.astimezone(UTC))
    ev.add("summary", entry.title)
    if entry.location:
        ev.add("location", vText(entry.location))
    if entry.url:
        ev.add("url", entry.url)
    if entry.description:
        ev.add("description", entry.description)
    ev.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    org_name, org_address = parseaddr(organizer)
    ev.add("organizer", _address(org_address, org_name))
    cal.add_component(ev)
    text = cal.to_ical().decode("utf-8")
    at = text.index(_END_OF_EVENT)  # the first: the only VEVENT
    if text.count(_STAMP_LINE) != 1:  # not an assert: python -O would drop it
        raise RuntimeError("icalendar writes DTSTAMP otherwise than notify expects; update _STAMP_LINE")
    return text[:at], text[at:]


def _property_line(name: str, value: vDDDTypes) -> str:
    """One property as icalendar writes it in a component."""
    return Contentline.from_parts(name, value.params, value, sorted=True).to_ical().decode("utf-8") + "\r\n"


def _attendee_lines(attendee: Attendee) -> str:
    """The ATTENDEE property as icalendar writes it in a component (escaped, folded)."""
    who = _address(attendee.email, attendee.name)
    who.params["ROLE"] = "REQ-PARTICIPANT"
    who.params["PARTSTAT"] = attendee.partstat
    # No replies are read (the sender is a no-reply address): RSVP=FALSE keeps calendars from asking.
    who.params["RSVP"] = "FALSE"
    line = Contentline.from_parts("ATTENDEE", who.params, who, sorted=True)
    return line.to_ical().decode("utf-8") + "\r\n"


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    return address


def attachment(text: str, *, method: Method, language: str) -> Attachment:
    return Attachment(
        filename=_FILENAMES.get(language, _FILENAMES["sv"]),
        content_type=f"text/calendar; method={method}; charset=utf-8",
        content=text,
    )
