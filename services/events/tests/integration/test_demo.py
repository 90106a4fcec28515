"""The demo events (events.demo) go through the API as the devstack's demo step sends them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from events.demo import demo_events, next_date


def test_demo_dates_are_always_ahead() -> None:
    assert next_date(date(2026, 4, 13), 4, 13) == date(2026, 4, 13)
    assert next_date(date(2026, 12, 2), 6, 1) == date(2027, 6, 1)


async def test_the_demo_events_are_accepted_published_and_shown_to_the_public(client: Any) -> None:
    organisations = {"socialförvaltningen": str(uuid.uuid4()), "Bryggan": str(uuid.uuid4())}
    for body in demo_events(date(2026, 12, 2), client.settings.zone, organisations):
        event = await client.post("/v1/events", body)
        await client.post(f"/v1/events/{event['id']}/publish", expect=200)
    listed = (await client.get("/v1/public/events", as_=(), params={"from": "2027-01-01T00:00:00Z"}))["items"]
    titles = [e["title"] for e in listed]
    assert titles == [
        "Var med och påverka! Inbjudan till dialog",
        "Föreläsning med professor Per Skålén",
        "Öppet möte om stöd till anhöriga",
        "Utvecklingsdag",
        "Hälsodag och vårfest på Gröningen",
        "CurioCity Mashup",
    ]
    dialogue = listed[0]
    assert dialogue["starts_at"] == "2027-04-13T10:30:00Z" and dialogue["venue_address"] == "Rönnowsgatan 8"
    mashup = listed[-1]
    assert mashup["starts_at"][:10] == "2027-06-01" and mashup["ends_at"][:10] == "2027-06-02"
    announced = listed[2]
    assert announced["registration"] == "none" and announced["external_url"]
    refused = await client.call(
        "POST",
        f"/v1/public/events/{announced['id']}/registrations",
        as_=(),
        json={"name": "Ann", "email": "ann@example.se"},
        expect=409,
    )
    assert "anmäler man sig inte här" in refused.json()["detail"]
    org_feed = await client.call(
        "GET", f"/v1/public/feeds/organisations/{organisations['Bryggan']}/events.ics", as_=(), expect=200
    )
    assert org_feed.content.count(b"BEGIN:VEVENT") == 2  # the health day and the development day
