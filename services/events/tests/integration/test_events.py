"""Events through the API: validation, publishing, changes and their history, cancelling, copying."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import nats

from backbone.testing import eventually

from .world import person, published_event, signup, soon


async def test_an_end_before_the_start_is_refused_with_a_swedish_message_and_nothing_kept(
    client: Any,
) -> None:
    start = soon()
    answer = await client.call(
        "POST",
        "/v1/events",
        json={
            "title": "Fel",
            "starts_at": start.isoformat(),
            "ends_at": (start - timedelta(hours=1)).isoformat(),
        },
        expect=422,
    )
    assert "slutar innan det börjar" in answer.json()["detail"]
    assert (await client.get("/v1/events"))["total"] == 0


async def test_times_without_an_offset_are_read_on_the_services_clock(client: Any) -> None:
    event = await client.post(
        "/v1/events",
        {
            "title": "Föreläsning",
            "kind": "lecture",
            "starts_at": "2026-05-03T14:00",
            "ends_at": "2026-05-03T15:00",
        },
    )
    assert event["starts_at"] == "2026-05-03T12:00:00Z"  # 14:00 in Stockholm in May
    assert event["status"] == "draft" and event["sequence"] == 0


async def test_a_multi_day_event_is_published_and_announced_on_the_bus(client: Any) -> None:
    nc = await nats.connect(client.settings.nats_url)
    try:
        sub = await nc.jetstream().subscribe("events.event.published.v1", ordered_consumer=True)
        start = soon(20)
        event = await published_event(
            client,
            title="CurioCity Mashup",
            kind="conference",
            starts_at=start,
            ends_at=(start + timedelta(days=1, hours=8)).isoformat(),
        )
        assert event["status"] == "published"

        async def arrived() -> bool:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except Exception:  # noqa: BLE001 - nothing yet
                return False
            return event["id"] in msg.data.decode()

        await eventually(arrived, "the published event on the bus", timeout=15)
    finally:
        await nc.close()


async def test_a_new_time_marks_the_event_changed_raises_its_sequence_and_is_kept_in_its_history(
    client: Any,
) -> None:
    event = await published_event(client)
    later = soon(11)
    changed = await client.patch(
        f"/v1/events/{event['id']}",
        {
            "version": event["version"],
            "starts_at": later.isoformat(),
            "ends_at": (later + timedelta(hours=2)).isoformat(),
        },
    )
    assert changed["status"] == "changed" and changed["sequence"] == 1
    # A change that attendees need not know about raises neither.
    quiet = await client.patch(f"/v1/events/{event['id']}", {"description_sv": "Fika finns."})
    assert quiet["sequence"] == 1
    moved = await client.patch(f"/v1/events/{event['id']}", {"venue_name": "Arenan"})
    assert moved["sequence"] == 2
    history = await client.get(f"/v1/events/{event['id']}/history")
    assert [h["change"] for h in history] == ["published", "rescheduled", "moved"]
    assert (
        history[2]["before"]["venue_name"] == "Stadsbiblioteket"
        and history[2]["after"]["venue_name"] == "Arenan"
    )
    (announced, moved_event) = await client.outbox("events.event.changed.v1")
    assert announced["changes"] == ["rescheduled"] and moved_event["changes"] == ["moved"]
    assert announced["previous_starts_at"].startswith(event["starts_at"][:16])


async def test_a_change_on_a_stale_copy_is_refused(client: Any) -> None:
    event = await published_event(client)
    await client.patch(f"/v1/events/{event['id']}", {"title": "Nytt namn"})
    answer = await client.call(
        "PATCH",
        f"/v1/events/{event['id']}",
        json={"version": event["version"], "title": "Gammalt"},
        expect=409,
    )
    assert answer.json()["error"] == "stale_version" and "Ladda om" in answer.json()["detail"]


async def test_capacity_below_the_number_registered_is_refused_and_nothing_changes(client: Any) -> None:
    event = await published_event(client, capacity=5)
    for n in range(3):
        await signup(client, event, person(n))
    answer = await client.call("PATCH", f"/v1/events/{event['id']}", json={"capacity": 2}, expect=409)
    assert "minst 3" in answer.json()["detail"]
    assert (await client.get(f"/v1/events/{event['id']}"))["capacity"] == 5


async def test_a_cancelled_event_is_announced_once_and_cannot_be_changed(client: Any) -> None:
    event = await published_event(client)
    cancelled = await client.post(f"/v1/events/{event['id']}/cancel", {"reason": "Sjukdom"}, expect=200)
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 1
    again = await client.call("POST", f"/v1/events/{event['id']}/cancel", json={}, expect=409)
    assert "redan inställt" in again.json()["detail"]
    edit = await client.call("PATCH", f"/v1/events/{event['id']}", json={"title": "x"}, expect=409)
    assert "Kopiera det till ett nytt datum" in edit.json()["detail"]
    assert [e["reason"] for e in await client.outbox("events.event.cancelled.v1")] == ["Sjukdom"]


async def test_a_change_and_a_cancellation_say_who_the_event_is_for_now(client: Any) -> None:
    """Whoever hears of a change (an organisation's webhook) must not rely on the publication's
    audience: the event may have been narrowed to staff since."""
    organisers = [str(uuid.uuid4())]
    event = await published_event(client, organiser_ids=organisers)
    assert event["organiser_ids"] == organisers
    await client.patch(f"/v1/events/{event['id']}", {"audience": "staff"})
    await client.patch(f"/v1/events/{event['id']}", {"venue_name": "Arenan"})
    await client.post(f"/v1/events/{event['id']}/cancel", {"reason": None}, expect=200)
    [moved] = await client.outbox("events.event.changed.v1")
    [cancelled] = await client.outbox("events.event.cancelled.v1")
    for announced in (moved, cancelled):
        assert announced["audience"] == "staff" and announced["organiser_ids"] == organisers


async def test_an_event_is_copied_to_a_new_date_as_a_draft(client: Any) -> None:
    start = soon(5)
    event = await published_event(
        client,
        starts_at=start,
        ends_at=(start + timedelta(days=1)).isoformat(),
        capacity=40,
        registration_closes_at=(start - timedelta(days=1)).isoformat(),
    )
    second_day = start + timedelta(days=1, hours=-2)
    await client.post(
        f"/v1/events/{event['id']}/programme",
        {
            "starts_at": second_day.isoformat(),
            "ends_at": (second_day + timedelta(minutes=30)).isoformat(),
            "title": "Mentorprojektet",
            "room": "Sal B",
        },
    )
    new_start = soon(370)
    copy = await client.post(f"/v1/events/{event['id']}/copy", {"starts_at": new_start.isoformat()})
    assert copy["status"] == "draft" and copy["copied_from"] == event["id"] and copy["capacity"] == 40
    assert copy["ends_at"][:16] == (new_start + timedelta(days=1)).isoformat()[:16]
    assert copy["registration_closes_at"][:16] == (new_start - timedelta(days=1)).isoformat()[:16]
    # The programme comes along, at the same place in the new days.
    [item] = await client.get(f"/v1/events/{copy['id']}/programme")
    assert item["title"] == "Mentorprojektet" and item["room"] == "Sal B"
    moved = new_start + timedelta(days=1, hours=-2)
    assert datetime.fromisoformat(item["starts_at"]) == moved
    assert len(await client.get(f"/v1/events/{event['id']}/programme")) == 1


async def test_the_public_sees_published_public_events_only(client: Any) -> None:
    draft = await client.post(
        "/v1/events",
        {"title": "Utkast", "starts_at": soon().isoformat(), "ends_at": soon(days=10, hours=1).isoformat()},
    )
    staff_only = await published_event(client, audience="staff", title="Personaldag")
    public = await published_event(client, capacity=10, title="Hälsodag")
    listed = await client.get("/v1/public/events", as_=())
    assert [e["title"] for e in listed["items"]] == ["Hälsodag"] and listed["items"][0]["places_left"] == 10
    for hidden in (draft, staff_only):
        answer = await client.call("GET", f"/v1/public/events/{hidden['id']}", as_=(), expect=404)
        assert "Det finns inget evenemang" in answer.json()["detail"]
    assert (await client.get(f"/v1/public/events/{public['id']}", as_=()))["title"] == "Hälsodag"


async def test_visitors_cannot_manage_events(client: Any) -> None:
    await client.call("POST", "/v1/events", as_=(), json={}, expect=403)
    await client.call("GET", "/v1/events", as_=("pool_coordinator",), expect=403)
    await client.call("GET", "/v1/events", as_=("org_representative",), expect=200)


async def test_a_representative_sees_public_events_and_their_own_organisations_but_no_drafts_or_staff_events(
    client: Any,
) -> None:
    import uuid

    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    rep = {"as_": ("org_representative",), "org": ours}
    window = {"starts_at": soon().isoformat(), "ends_at": soon(11).isoformat()}
    own_draft = await client.post("/v1/events", {"title": "Vårt utkast", "organiser_ids": [ours], **window})
    own_staff = await published_event(client, audience="staff", organiser_ids=[ours], title="Vår personaldag")
    their_staff = await published_event(client, audience="staff", organiser_ids=[theirs], title="Deras dag")
    public = await published_event(client, organiser_ids=[theirs], title="Öppet hus", capacity=5)
    own_members = await published_event(
        client, audience="groups", audience_group_ids=[str(uuid.uuid4())], organiser_ids=[ours],
        title="Vår grupp",
    )
    listed = await client.get("/v1/events", **rep)
    # Staff-only is for staff, even when the representative's organisation organises it (the
    # organisation's private feed follows the same rule, events.feeds).
    assert sorted(e["title"] for e in listed["items"]) == ["Vår grupp", "Öppet hus"]
    assert listed["total"] == 2
    for hidden in (own_draft, own_staff, their_staff):
        await client.call("GET", f"/v1/events/{hidden['id']}", expect=404, **rep)
        await client.call("GET", f"/v1/events/{hidden['id']}/history", expect=404, **rep)
        await client.call("GET", f"/v1/events/{hidden['id']}/registrations/summary", expect=404, **rep)
        await client.call("GET", f"/v1/events/{hidden['id']}/registrations", expect=404, **rep)
        await client.call("GET", f"/v1/events/{hidden['id']}/programme", expect=404, **rep)
    assert (await client.get(f"/v1/events/{own_members['id']}", **rep))["title"] == "Vår grupp"
    url = f"/v1/events/{public['id']}/registrations"
    await client.post(url, person(1), **rep)
    await client.post(url, {**person(2), "organisation_id": theirs})
    await signup(client, public, person(3))
    summary = await client.get(f"{url}/summary", **rep)
    assert summary["per_organisation"] == [{"organisation_id": ours, "registered": 1}]
    assert summary["counts"] == {"registered": 1}
    assert len((await client.get(f"{url}/summary"))["per_organisation"]) == 3  # staff see every row


async def test_the_public_view_of_an_event_leaves_out_internal_fields(client: Any) -> None:
    event = await published_event(client, reminder_minutes=[120])
    internal = {"copied_from", "reminder_minutes", "offer_hours", "version", "audience_group_ids"}
    seen = await client.get(f"/v1/public/events/{event['id']}", as_=())
    assert internal.isdisjoint(seen) and seen["title"] == event["title"]
    (listed,) = (await client.get("/v1/public/events", as_=()))["items"]
    assert internal.isdisjoint(listed)
    assert internal <= set(await client.get(f"/v1/events/{event['id']}"))  # staff still see them
