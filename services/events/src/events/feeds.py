"""The calendar (iCalendar, RFC 5545 with RFC 7986 properties) and Atom feeds of events, from rows.

A feed entry keeps its UID for good (the event's id); SEQUENCE is the event's, raised by every
change attendees must know about; a cancelled event stays, as STATUS:CANCELLED, so that calendars
remove it instead of keeping an old copy.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event, vText

from backbone.logs import get_logger

log = get_logger(__name__)

PRODID = "-//Delaktig//Evenemang//SV"
UID_DOMAIN = "delaktig.events"
CANCELLED_PREFIX = "INSTÄLLT: "


@dataclass(frozen=True)
class Feed:
    """What a feed is about: its name, the public pages it links to, and its clock."""

    name: str
    page_url: str  # the public page listing these events
    feed_url: str  # where the feed itself is fetched
    public_url: str  # the public pages' base; an event's page is <public_url>/evenemang/<id>
    zone: ZoneInfo
    refresh: timedelta
    now: datetime


def uid(event_id: Any) -> str:
    return f"{event_id}@{UID_DOMAIN}"


def event_url(feed: Feed, event_id: Any) -> str:
    return _event_url(feed.public_url, event_id)


def _event_url(public_url: str, event_id: Any) -> str:
    return f"{public_url.rstrip('/')}/evenemang/{event_id}"


def _place(row: Mapping[str, Any]) -> str | None:
    parts = [p for p in (row["venue_name"], row["venue_address"]) if p]
    return ", ".join(parts) or None


def icalendar(rows: Iterable[Mapping[str, Any]], feed: Feed) -> bytes:
    """The feed as an .ics document: CRLF line ends and folded lines (icalendar writes both).

    icalendar takes about a millisecond per entry, and a feed of a thousand events is asked for again
    by every client whose validators are out of date. What does not change between two answers is
    written once and kept (as notify.calendar does): the calendar's own properties, the VTIMEZONE
    block, and each entry as of its last change, with DTSTAMP (the one thing that moves) put in when
    the feed is written. The bytes are those icalendar writes for the whole calendar at once (a test
    compares them).
    """
    entries: list[Entry] = []
    for key, row in _keyed(rows):
        try:
            entries.append(_entry_text(key, feed.zone, feed.public_url))
        except Exception as exc:  # noqa: BLE001 - one bad entry must not take the feed from everyone
            skipped(row, exc)
    return calendar(entries, feed)


def calendar(entries: Iterable[Entry], feed: Feed) -> bytes:
    """The calendar of entries as written (`entry`), in their order, stamped `feed.now`."""
    stamp = _stamp_line(feed.now)
    parts: list[str] = []
    for before, after in entries:
        parts += (before, stamp, after)
    head = _head(feed.name, feed.page_url, feed.feed_url, feed.zone.key, feed.refresh)
    # VTIMEZONE for the zone the events use (the service's), from the zone database; icalendar puts
    # it first, and only when an entry refers to it.
    zone = _vtimezone(feed.zone) if parts else ""
    return (head + zone + "".join(parts) + _END_OF_CALENDAR).encode("utf-8")


# An entry as icalendar writes it, cut where its DTSTAMP goes: the text before and after.
Entry = tuple[str, str]


def entry(row: Mapping[str, Any], zone: ZoneInfo, public_url: str) -> Entry:
    text = _vevent(row, zone, public_url, _SENTINEL).to_ical().decode("utf-8")
    before, found, after = text.partition(_SENTINEL_LINE)
    if not found:
        raise ValueError("icalendar wrote the entry without its DTSTAMP line")
    return before, after


class Entries:
    """Entries as written, by the version of the row they were written from (the feed queries' `key`:
    the event's id and its row version, which PostgreSQL changes with every write of the row), at
    most `max_entries`, the least recently used dropped first. Used from the event loop only."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._kept: OrderedDict[Hashable, Entry] = OrderedDict()

    def get(self, key: Hashable) -> Entry | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: Hashable, written: Entry) -> None:
        self._kept[key] = written
        self._kept.move_to_end(key)
        while len(self._kept) > self._max:
            self._kept.popitem(last=False)


_END_OF_CALENDAR = "END:VCALENDAR\r\n"
# DTSTAMP as written for a time no feed is made at; the entry's line, between two CRLFs (text values
# carry their line breaks escaped and folded lines go on with a space), is found and replaced.
_SENTINEL = datetime(1970, 1, 1, tzinfo=UTC)
_SENTINEL_LINE = "\r\nDTSTAMP:19700101T000000Z\r\n"
# The columns an entry is written from, in the order the feed queries select them: the key it is kept by.
FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "sequence",
    "starts_at",
    "ends_at",
    "title",
    "description_sv",
    "status",
    "cancel_reason",
    "venue_name",
    "venue_address",
    "external_url",
    "kind",
    "audience",
)


def _keyed(rows: Iterable[Mapping[str, Any]]) -> Iterator[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    """Each row with its entry's key. A row of the feed queries holds the key as it is (its columns
    are FIELDS, in order), read at C speed; any other mapping is read field by field."""
    as_selected: bool | None = None
    for row in rows:
        if as_selected is None:
            as_selected = isinstance(row, asyncpg.Record) and tuple(row.keys()) == FIELDS
        yield (tuple(row) if as_selected else tuple(row.get(name) for name in FIELDS)), row


def _stamp_line(now: datetime) -> str:
    ev = Event()
    ev.add("dtstamp", now)
    line = ev.to_ical().decode("utf-8").split("\r\n")[1]
    return f"\r\n{line}\r\n"


@lru_cache(maxsize=8)
def _head(name: str, page_url: str, feed_url: str, zone_key: str, refresh: timedelta) -> str:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", name)  # RFC 7986
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone_key)
    cal.add("url", page_url)
    cal.add("source", feed_url)
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", refresh)
    text = cal.to_ical().decode("utf-8")
    return text.removesuffix(_END_OF_CALENDAR)


@lru_cache(maxsize=8)
def _vtimezone(zone: ZoneInfo) -> str:
    """The VTIMEZONE icalendar adds for entries in `zone` (none for UTC, written with Z)."""
    cal = Calendar()
    ev = Event()
    ev.add("dtstart", datetime(2000, 1, 1, tzinfo=zone))
    cal.add_component(ev)
    cal.add_missing_timezones()
    text = cal.to_ical().decode("utf-8")
    begin = text.find("BEGIN:VTIMEZONE\r\n")
    if begin < 0:
        return ""
    end = text.index("END:VTIMEZONE\r\n") + len("END:VTIMEZONE\r\n")
    return text[begin:end]


# A thousand feeds' worth of entries is a few megabytes; an entry that changed is written anew under
# its new key (updated_at), and the old one falls out in time.
@lru_cache(maxsize=8192)
def _entry_text(key: tuple[Any, ...], zone: ZoneInfo, public_url: str) -> Entry:
    return entry(dict(zip(FIELDS, key, strict=True)), zone, public_url)


def _vevent(row: Mapping[str, Any], zone: ZoneInfo, public_url: str, stamp: datetime) -> Event:
    ev = Event()
    ev.add("uid", uid(row["id"]))
    ev.add("dtstamp", stamp)
    ev.add("created", row["created_at"])
    ev.add("last-modified", row["updated_at"])
    ev.add("sequence", row["sequence"])
    ev.add("dtstart", row["starts_at"].astimezone(zone))
    ev.add("dtend", row["ends_at"].astimezone(zone))
    ev.add("summary", row["title"])
    description = row["description_sv"] or ""
    if row["status"] == "cancelled":
        reason = f" {row['cancel_reason']}" if row.get("cancel_reason") else ""
        description = f"Evenemanget är inställt.{reason}\n\n{description}".strip()
    if description:
        ev.add("description", description)
    place = _place(row)
    if place:
        ev.add("location", vText(place))
    url = row["external_url"] or _event_url(public_url, row["id"])
    ev.add("url", url)
    ev.add("status", "CANCELLED" if row["status"] == "cancelled" else "CONFIRMED")
    ev.add("categories", [row["kind"]])
    # Staff and group events reach only private feeds; calendars that share them keep them private.
    ev.add("class", "PUBLIC" if row["audience"] == "public" else "PRIVATE")
    return ev


def skipped(row: Mapping[str, Any], exc: Exception) -> None:
    log.warning("feed entry skipped", event_id=str(row.get("id")), error=type(exc).__name__)


def atom(rows: Iterable[Mapping[str, Any]], feed: Feed) -> bytes:
    """The same events as an Atom feed, newest change first in readers that sort by `updated`."""
    fg = FeedGenerator()
    fg.id(feed.feed_url)
    fg.title(feed.name)
    fg.author({"name": "Delaktig"})
    fg.link(href=feed.page_url, rel="alternate")
    fg.link(href=feed.feed_url, rel="self")
    fg.language("sv")
    latest = feed.now
    items = list(rows)
    if items:
        latest = max(r["updated_at"] for r in items)
    fg.updated(latest)
    for row in items:
        entry = fg.add_entry(order="append")
        try:
            _entry(entry, row, feed)
        except Exception as exc:  # noqa: BLE001 - one bad entry must not take the feed from everyone
            fg.remove_entry(entry)
            skipped(row, exc)
    return bytes(fg.atom_str(pretty=True))


def _entry(entry: Any, row: Mapping[str, Any], feed: Feed) -> None:
    entry.id(f"urn:uuid:{row['id']}")
    title = row["title"]
    if row["status"] == "cancelled":
        title = CANCELLED_PREFIX + title
    entry.title(title)
    entry.updated(row["updated_at"])
    entry.published(row["created_at"])
    entry.link(href=row["external_url"] or event_url(feed, row["id"]), rel="alternate")
    entry.summary(_summary(row, feed.zone))
    # feedgen builds the XML only when the feed is written; build this entry now, so that text XML
    # cannot carry fails here, for this entry alone.
    entry.atom_entry()


def _summary(row: Mapping[str, Any], zone: ZoneInfo) -> str:
    start = row["starts_at"].astimezone(zone)
    end = row["ends_at"].astimezone(zone)
    when = (
        f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        if start.date() == end.date()
        else f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"
    )
    parts = [when]
    place = _place(row)
    if place:
        parts.append(place)
    if row["status"] == "cancelled":
        parts.append("Inställt.")
    elif row["status"] == "changed":
        parts.append("Ändrad tid eller plats.")
    if row["description_sv"]:
        parts.append(row["description_sv"])
    return "\n".join(parts)

