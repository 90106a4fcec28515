"""The events feeds through the gateway, on the real events service: reachable with no account, the
service's answers passed on as they are (validators, 304s, a refused link's plain message)."""

from __future__ import annotations

import uuid

import feedparser
import httpx
from icalendar import Calendar

from gateway.settings import Settings

from . import test_pages_on_events as on_events
from .conftest import LiveServer, signed_in_as
from .test_pages_on_events import EventsStaff

# The events pages' fixtures: the real events service, and the gateway in front of it.
events_app = on_events.events_app
events_service = on_events.events_service
events_settings = on_events.events_settings
events_staff = on_events.events_staff
gateway_on_events = on_events.gateway_on_events
_published = on_events._published


def _visitor(gateway: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, follow_redirects=False, timeout=30)


def test_the_public_calendar_is_reached_without_an_account_and_answers_304(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff, title=f"Föreläsning {uuid.uuid4().hex[:6]}")
    with _visitor(gateway_on_events) as client:
        answer = client.get("/feeds/events.ics")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
        assert answer.headers["cache-control"].startswith("public")
        tag = answer.headers["etag"]
        calendar = Calendar.from_ical(answer.content)
        entries = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
        entry = entries[f"{event['id']}@delaktig.events"]
        assert str(entry["summary"]) == event["title"]
        # The feed names the address it is fetched from: the gateway's public one.
        assert str(calendar["source"]).endswith("/feeds/events.ics")

        again = client.get("/feeds/events.ics", headers={"If-None-Match": tag})
        assert again.status_code == 304
        assert again.headers["etag"] == tag
        assert again.content == b""


def test_the_atom_feed_and_an_organisations_feed(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    organisation = str(uuid.uuid4())
    event = _published(events_staff, organiser_ids=[organisation])
    with _visitor(gateway_on_events) as client:
        answer = client.get("/feeds/events.atom")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
        parsed = feedparser.parse(answer.content)
        assert not parsed.bozo, parsed.bozo_exception
        assert f"urn:uuid:{event['id']}" in {e.id for e in parsed.entries}

        own = client.get(f"/feeds/organisations/{organisation}/events.ics")
        assert own.status_code == 200
        uids = {str(e["uid"]) for e in Calendar.from_ical(own.content).walk("VEVENT")}
        assert uids == {f"{event['id']}@delaktig.events"}


def test_a_private_feed_by_its_secret_link_and_a_rotated_link_refused(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    organisation = str(uuid.uuid4())
    event = _published(
        events_staff, organiser_ids=[organisation], audience="groups", audience_group_ids=[str(uuid.uuid4())]
    )
    # Staff-only is for staff: not in the organisation's feed, though it organises the event.
    _published(events_staff, organiser_ids=[organisation], audience="staff")
    old = events_staff.send("POST", f"/v1/organisations/{organisation}/feed-token", None, expect=200)
    new = events_staff.send("POST", f"/v1/organisations/{organisation}/feed-token", None, expect=200)
    with _visitor(gateway_on_events) as client:
        answer = client.get(f"/feeds/private/{new['token']}/events.ics")
        assert answer.status_code == 200
        assert answer.headers["cache-control"].startswith("private")
        (entry,) = Calendar.from_ical(answer.content).walk("VEVENT")
        assert str(entry["uid"]) == f"{event['id']}@delaktig.events"
        assert str(entry["class"]) == "PRIVATE"

        refused = client.get(f"/feeds/private/{old['token']}/events.atom")
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("text/plain")
        assert "Kalenderlänken" in refused.text

        group = client.get(f"/feeds/groups/{new['token']}/events.ics")
        assert group.status_code == 404
        assert "Kalenderlänken" in group.text


def test_the_event_list_offers_the_feed_as_https_and_webcal_links(
    gateway_on_events: LiveServer, events_settings: Settings
) -> None:
    client = signed_in_as(gateway_on_events, events_settings, "staff")
    page = client.get("/events")
    assert page.status_code == 200
    host = httpx.URL(gateway_on_events.url).netloc.decode()
    assert f"webcal://{host}/feeds/events.ics" in page.text
    assert "/feeds/events.atom" in page.text


def test_the_public_event_list_offers_the_feeds(gateway_on_events: LiveServer) -> None:
    organisation = str(uuid.uuid4())
    host = httpx.URL(gateway_on_events.url).netloc.decode()
    with _visitor(gateway_on_events) as client:
        page = client.get("/evenemang")
        assert page.status_code == 200
        assert f"webcal://{host}/feeds/events.ics" in page.text
        own = client.get("/evenemang", params={"organisation": organisation})
        assert f"webcal://{host}/feeds/organisations/{organisation}/events.ics" in own.text
