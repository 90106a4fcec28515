"""The programme: timed items within the event, edited by staff, read by anyone for a public event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .world import published_event, soon


async def test_a_programme_is_kept_in_time_order_and_read_by_the_public(client: Any) -> None:
    start = soon()
    event = await published_event(client, starts_at=start)
    url = f"/v1/events/{event['id']}/programme"

    def at(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).isoformat()

    await client.post(url, {"starts_at": at(20), "ends_at": at(80), "title": "Vad gör vi?", "room": "Sal A"})
    intro = await client.post(
        url, {"starts_at": at(0), "ends_at": at(20), "title": "Inledning", "responsible": "Arrangörerna"}
    )
    public = await client.get(f"/v1/public/events/{event['id']}/programme", as_=())
    assert [i["title"] for i in public] == ["Inledning", "Vad gör vi?"]
    moved = await client.call("PATCH", f"{url}/{intro['id']}", json={"notes": "Kaffe från 08.30"}, expect=200)
    assert moved.json()["notes"] == "Kaffe från 08.30"
    await client.call("DELETE", f"{url}/{intro['id']}", expect=204)
    await client.call("DELETE", f"{url}/{intro['id']}", expect=404)
    assert len(await client.get(url)) == 1


async def test_an_item_outside_the_events_time_is_refused(client: Any) -> None:
    start = soon()
    event = await published_event(client, starts_at=start)
    answer = await client.call(
        "POST",
        f"/v1/events/{event['id']}/programme",
        json={
            "starts_at": (start - timedelta(hours=1)).isoformat(),
            "ends_at": start.isoformat(),
            "title": "För tidigt",
        },
        expect=409,
    )
    assert "utanför evenemangets tid" in answer.json()["detail"]
    await client.call("POST", f"/v1/events/{event['id']}/programme", as_=(), json={}, expect=403)


async def test_the_public_programme_leaves_out_staff_notes_and_who_is_responsible(client: Any) -> None:
    start = soon()
    event = await published_event(client, starts_at=start)
    item = {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(minutes=30)).isoformat(),
        "title": "Inledning",
        "responsible": "Ann Andersson, 070-123 45 67",
        "notes": "Nyckeln ligger under mattan",
    }
    await client.post(f"/v1/events/{event['id']}/programme", item)
    (public,) = await client.get(f"/v1/public/events/{event['id']}/programme", as_=())
    assert public["title"] == "Inledning" and "notes" not in public and "responsible" not in public
    (staff,) = await client.get(f"/v1/events/{event['id']}/programme")
    assert staff["notes"] == item["notes"]
