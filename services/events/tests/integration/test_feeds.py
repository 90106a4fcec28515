"""The feeds over HTTP: UID, SEQUENCE and STATUS across a change and a cancellation, 304s."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import feedparser
from icalendar import Calendar

from .world import person, published_event, soon

ICS = "/v1/public/feeds/events.ics"


async def vevents(client: Any, url: str = ICS) -> dict[str, Any]:
    answer = await client.call("GET", url, as_=())
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    return {str(e["UID"]): e for e in Calendar.from_ical(answer.content).walk("VEVENT")}


async def test_uid_stays_sequence_rises_and_a_cancellation_stays_as_cancelled(client: Any) -> None:
    event = await published_event(client, title="Hälsodag på Gröningen")
    await client.post(
        "/v1/events", {"title": "Utkast", "starts_at": soon().isoformat(), "ends_at": soon(11).isoformat()}
    )
    uid = f"{event['id']}@delaktig.events"
    first = await vevents(client)
    assert list(first) == [uid] and first[uid]["SEQUENCE"] == 0  # the draft is not in the feed
    later = soon(12)
    await client.patch(
        f"/v1/events/{event['id']}",
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=4)).isoformat()},
    )
    changed = (await vevents(client))[uid]
    assert changed["SEQUENCE"] == 1 and changed.decoded("DTSTART") == later
    await client.post(f"/v1/events/{event['id']}/cancel", {"reason": "Regn"}, expect=200)
    cancelled = (await vevents(client))[uid]
    assert cancelled["SEQUENCE"] == 2 and str(cancelled["STATUS"]) == "CANCELLED"


async def test_a_feed_per_organisation_holds_only_its_events(client: Any) -> None:
    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    mine = await published_event(client, organiser_ids=[ours, theirs], title="Gemensam")
    await published_event(client, organiser_ids=[theirs], title="Deras")
    feed = await vevents(client, f"/v1/public/feeds/organisations/{ours}/events.ics")
    assert list(feed) == [f"{mine['id']}@delaktig.events"]
    atom = await client.call("GET", f"/v1/public/feeds/organisations/{ours}/events.atom", as_=())
    parsed = feedparser.parse(atom.content)
    assert not parsed.bozo and [e.title for e in parsed.entries] == ["Gemensam"]


async def test_a_poll_with_the_etag_is_answered_304_until_something_changes(client: Any) -> None:
    event = await published_event(client)
    visitor = client.headers(subject="public-feed")
    first = await client.http.get(ICS, headers=visitor)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    again = await client.http.get(ICS, headers={**visitor, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    await client.patch(f"/v1/events/{event['id']}", {"venue_name": "Arenan"})
    after = await client.http.get(ICS, headers={**visitor, "If-None-Match": tag})
    assert after.status_code == 200 and b"Arenan" in after.content


async def test_every_table_of_the_service_raises_the_data_version(client: Any) -> None:
    from backbone.conditional import untracked_tables

    async with client.pool.acquire() as conn:
        assert await untracked_tables(conn) == [], "track them in a migration: backbone_track_data_version"


async def test_a_private_feed_link_shows_what_the_organisations_representative_sees_until_it_is_rotated(
    client: Any,
) -> None:
    org = uuid.uuid4()
    rep = {"as_": ("org_representative",), "org": org}
    staff_day = await published_event(client, organiser_ids=[str(org)], audience="staff", title="Personaldag")
    members = await published_event(
        client, organiser_ids=[str(org)], audience="groups", audience_group_ids=[str(uuid.uuid4())],
        title="Gruppens dag",
    )
    public = await published_event(client, organiser_ids=[str(org)], title="Öppet hus")
    link = await client.post(f"/v1/organisations/{org}/feed-token", expect=200, **rep)
    events = await vevents(client, link["ics_path"])
    # The same rule as the representative's own list of the organisation's events: a staff-only event
    # is never in it, though the organisation organises it.
    listed = await client.get("/v1/events", params={"organisation_id": str(org)}, **rep)
    assert {f"{e['id']}@delaktig.events" for e in listed["items"]} == set(events)
    assert set(events) == {f"{members['id']}@delaktig.events", f"{public['id']}@delaktig.events"}
    assert f"{staff_day['id']}@delaktig.events" not in events
    assert str(events[f"{members['id']}@delaktig.events"]["CLASS"]) == "PRIVATE"
    assert str(events[f"{public['id']}@delaktig.events"]["CLASS"]) == "PUBLIC"
    private = await client.call("GET", link["ics_path"], as_=(), expect=200)
    assert private.headers["Cache-Control"].startswith("private")
    assert (await client.call("GET", ICS, as_=())).headers["Cache-Control"].startswith("public")
    # Not in the public feed.
    assert f"{members['id']}@delaktig.events" not in await vevents(client)
    rotated = await client.post(f"/v1/organisations/{org}/feed-token", expect=200)  # staff may too
    old = await client.call("GET", link["ics_path"], as_=(), expect=404)
    assert "bytts ut" in old.json()["detail"]
    assert len(await vevents(client, rotated["ics_path"])) == 2
    atom = await client.call("GET", rotated["atom_path"], as_=(), expect=200)
    assert not feedparser.parse(atom.content).bozo
    assert staff_day["title"].encode() not in atom.content


async def test_a_rotated_link_leaves_no_copy_of_its_feed_in_the_process(client: Any) -> None:
    org, group = uuid.uuid4(), uuid.uuid4()
    await published_event(
        client, organiser_ids=[str(org)], audience="groups", audience_group_ids=[str(group)],
        title="Gruppens dag",
    )
    cache = client.app.state.feed_cache
    own = await client.post(f"/v1/organisations/{org}/feed-token", expect=200)
    groups = await client.post(f"/v1/groups/{group}/feed-token", expect=200)
    paths = [own["ics_path"], own["atom_path"], groups["ics_path"], groups["atom_path"]]
    for path in paths:
        await client.call("GET", path, as_=(), expect=200)
    assert all(cache.holds(path) for path in paths)
    await client.post(f"/v1/organisations/{org}/feed-token", expect=200)
    assert [cache.holds(path) for path in paths] == [False, False, True, True]
    await client.post(f"/v1/groups/{group}/feed-token", expect=200)
    assert not any(cache.holds(path) for path in paths)


async def test_a_malformed_feed_token_is_a_400_and_another_organisations_link_is_refused(client: Any) -> None:
    cut = await client.call("GET", "/v1/public/feeds/private/abc/events.ics", as_=(), expect=400)
    assert "inte hel" in cut.json()["detail"]
    mine, other = uuid.uuid4(), uuid.uuid4()
    await client.call(
        "POST", f"/v1/organisations/{other}/feed-token", as_=("org_representative",), org=mine, expect=403
    )


async def test_a_registration_does_not_change_the_feeds_etag_but_a_change_of_an_event_does(
    client: Any,
) -> None:
    event = await published_event(client, capacity=10)
    visitor = client.headers(subject="public-feed")
    for url in (ICS, "/v1/public/feeds/events.atom"):
        first = await client.http.get(url, headers=visitor)
        tag = first.headers["ETag"]
        await client.public(f"/v1/public/events/{event['id']}/registrations", person(uuid.uuid4().int), 202)
        again = await client.http.get(url, headers={**visitor, "If-None-Match": tag})
        assert again.status_code == 304, f"{url}: a registration changed the feed's ETag"
        assert again.headers["ETag"] == tag and again.content == b""
    await client.patch(f"/v1/events/{event['id']}", {"title": "Ny titel"})
    after = await client.http.get(ICS, headers={**visitor, "If-None-Match": tag})
    assert after.status_code == 200 and b"Ny titel" in after.content


async def test_a_feed_answers_if_modified_since_in_full_because_an_event_leaving_it_changes_no_date(
    client: Any,
) -> None:
    # An event that leaves a feed (narrowed to staff, or ended long enough ago) takes its date away
    # with it: the newest date left could be older than what the client has. Only the tag knows.
    staying = await published_event(client, title="Stannar")
    leaving = await published_event(client, title="Bara för personal")
    async with client.pool.acquire() as conn:
        await conn.execute(
            "UPDATE events SET updated_at = updated_at - interval '1 minute' WHERE id = $1", staying["id"]
        )
    first = await client.call("GET", ICS, as_=(), expect=200)
    assert b"Bara f" in first.content
    since = format_datetime(datetime.now(UTC), usegmt=True)
    await client.patch(f"/v1/events/{leaving['id']}", {"audience": "staff"})
    later = await client.call("GET", ICS, as_=(), headers={"If-Modified-Since": since})
    assert later.status_code == 200 and b"Bara f" not in later.content and b"Stannar" in later.content
    # The tag is the validator: unchanged, a 304.
    again = await client.call("GET", ICS, as_=(), headers={"If-None-Match": later.headers["ETag"]})
    assert again.status_code == 304
    assert "Last-Modified" not in first.headers  # no date it could keep true


async def test_a_group_feed_holds_the_events_for_that_groups_members_by_a_secret_link(client: Any) -> None:
    group, other = uuid.uuid4(), uuid.uuid4()
    ours = await published_event(
        client, audience="groups", audience_group_ids=[str(group)], title="Gruppmöte"
    )
    await published_event(client, audience="groups", audience_group_ids=[str(other)], title="Andras")
    await published_event(client, title="Öppet för alla")
    link = await client.post(f"/v1/groups/{group}/feed-token", expect=200)
    assert link["group_id"] == str(group)
    events = await vevents(client, link["ics_path"])
    assert list(events) == [f"{ours['id']}@delaktig.events"]
    assert str(events[f"{ours['id']}@delaktig.events"]["CLASS"]) == "PRIVATE"
    answer = await client.call("GET", link["atom_path"], as_=(), expect=200)
    assert answer.headers["Cache-Control"].startswith("private")
    assert [e.title for e in feedparser.parse(answer.content).entries] == ["Gruppmöte"]
    # Not in the public feed, and a representative may not make a group's link.
    assert f"{ours['id']}@delaktig.events" not in await vevents(client)
    await client.call("POST", f"/v1/groups/{group}/feed-token", as_=("org_representative",), expect=403)
    rotated = await client.post(f"/v1/groups/{group}/feed-token", expect=200)
    await client.call("GET", link["ics_path"], as_=(), expect=404)
    assert len(await vevents(client, rotated["ics_path"])) == 1
    await client.call("GET", "/v1/public/feeds/groups/abc/events.ics", as_=(), expect=400)


async def test_an_event_narrowed_to_a_group_leaves_the_public_feed_at_once_and_enters_the_groups(
    client: Any,
) -> None:
    """Calendar clients drop an entry that is no longer in the feed they refresh; a kept feed must not
    hold it back (events.feed_cache)."""
    group = uuid.uuid4()
    event = await published_event(client, title="Öppen först")
    uid = f"{event['id']}@delaktig.events"
    link = await client.post(f"/v1/groups/{group}/feed-token", expect=200)
    assert uid in await vevents(client) and uid not in await vevents(client, link["ics_path"])
    await client.patch(
        f"/v1/events/{event['id']}", {"audience": "groups", "audience_group_ids": [str(group)]}
    )
    assert uid not in await vevents(client)
    assert uid in await vevents(client, link["ics_path"])


async def test_a_kept_feed_follows_any_write_of_an_event_even_one_that_leaves_updated_at(client: Any) -> None:
    """The feed version and the entries' keys come from PostgreSQL (migration 0010, xmin), not from what
    the use cases remember to set: a row written by hand (an operator, a migration) shows too."""
    event = await published_event(client, title="Före")
    uid = f"{event['id']}@delaktig.events"
    before = await client.call("GET", ICS, as_=(), expect=200)
    assert str((await vevents(client))[uid]["SUMMARY"]) == "Före"
    async with client.pool.acquire() as conn:
        await conn.execute("UPDATE events SET title = 'Efter' WHERE id = $1", event["id"])
    assert str((await vevents(client))[uid]["SUMMARY"]) == "Efter"
    again = await client.call("GET", ICS, as_=(), headers={"If-None-Match": before.headers["ETag"]})
    assert again.status_code == 200, "the ETag must change with the entry"
