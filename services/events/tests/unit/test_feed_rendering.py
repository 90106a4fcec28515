"""The iCalendar feed, written from kept parts, is byte for byte what icalendar writes for the whole
calendar at once (the way the feed was written before the parts were kept)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vText

from events import feeds

from .test_feeds import FEED, NOW, row


def whole_calendar(rows: Iterable[Mapping[str, Any]], feed: feeds.Feed) -> bytes:
    """The feed as one icalendar Calendar: the reference the kept parts must match."""
    cal = Calendar()
    cal.add("prodid", feeds.PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", feed.name)
    cal.add("x-wr-calname", feed.name)
    cal.add("x-wr-timezone", feed.zone.key)
    cal.add("url", feed.page_url)
    cal.add("source", feed.feed_url)
    cal.add("refresh-interval", feed.refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", feed.refresh)
    for r in rows:
        try:
            ev = Event()
            ev.add("uid", feeds.uid(r["id"]))
            ev.add("dtstamp", feed.now)
            ev.add("created", r["created_at"])
            ev.add("last-modified", r["updated_at"])
            ev.add("sequence", r["sequence"])
            ev.add("dtstart", r["starts_at"].astimezone(feed.zone))
            ev.add("dtend", r["ends_at"].astimezone(feed.zone))
            ev.add("summary", r["title"])
            description = r["description_sv"] or ""
            if r["status"] == "cancelled":
                reason = f" {r['cancel_reason']}" if r.get("cancel_reason") else ""
                description = f"Evenemanget är inställt.{reason}\n\n{description}".strip()
            if description:
                ev.add("description", description)
            place = ", ".join(p for p in (r["venue_name"], r["venue_address"]) if p)
            if place:
                ev.add("location", vText(place))
            ev.add("url", r["external_url"] or feeds.event_url(feed, r["id"]))
            ev.add("status", "CANCELLED" if r["status"] == "cancelled" else "CONFIRMED")
            ev.add("categories", [r["kind"]])
            ev.add("class", "PUBLIC" if r["audience"] == "public" else "PRIVATE")
            cal.add_component(ev)
        except Exception:  # noqa: BLE001 - as the feed does: the entry is left out
            continue
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def various() -> list[dict[str, Any]]:
    autumn = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 local happens twice that night
    return [
        row(),
        row(status="cancelled", cancel_reason="Talaren är sjuk; vi hör av oss, med nytt datum.", sequence=3),
        row(status="cancelled", cancel_reason=None, description_sv=None),
        row(status="changed", sequence=1, venue_name=None, venue_address="Gröningen, Lund"),
        row(external_url="https://anhoriga.example/mote?id=3&lang=sv", kind="announcement"),
        row(audience="staff", title="Planering: rad ett\nrad två, med komma; och semikolon"),
        row(starts_at=autumn, ends_at=autumn + timedelta(days=1, hours=2), title="CurioCity " + "å" * 90),
        row(venue_name=None, venue_address=None, description_sv=""),
        row(starts_at=None),  # cannot be written: left out by both
    ]


def test_the_kept_parts_write_the_same_bytes_as_the_whole_calendar() -> None:
    rows = various()
    assert feeds.icalendar(rows, FEED) == whole_calendar(rows, FEED)
    assert feeds.icalendar([], FEED) == whole_calendar([], FEED)
    assert feeds.icalendar([row(starts_at=None)], FEED) == whole_calendar([row(starts_at=None)], FEED)


def test_a_later_answer_reuses_each_entry_and_only_dtstamp_moves() -> None:
    rows = various()[:5]
    first = feeds.icalendar(rows, FEED)
    before = feeds._entry_text.cache_info()
    later = feeds.Feed(**{**FEED.__dict__, "now": NOW + timedelta(minutes=7, seconds=3)})
    second = feeds.icalendar(rows, later)
    after = feeds._entry_text.cache_info()
    assert after.hits - before.hits == len(rows)
    assert after.misses == before.misses
    assert second == whole_calendar(rows, later)
    assert second == first.replace(b"DTSTAMP:20260401T100000Z", b"DTSTAMP:20260401T100703Z")
    assert datetime(2026, 4, 1, 10, 7, 3, tzinfo=UTC) == later.now
