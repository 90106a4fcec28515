"""Check-in at the door: found by name, recorded once however often the phone retries."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from .world import person, published_event, signup


async def registered(
    client: Any, capacity: int = 2, people: int = 3
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    event = await published_event(client, capacity=capacity)
    return event, [await signup(client, event, person(n)) for n in range(people)]


async def test_a_person_is_found_by_part_of_the_name_in_any_case(client: Any) -> None:
    event, _ = await registered(client)
    found = await client.get(f"/v1/events/{event['id']}/check-in/people", params={"name": "person 1"})
    assert [p["name"] for p in found["items"]] == ["Person 1"]
    # Only those with a place; and % is a character, not a pattern.
    assert (await client.get(f"/v1/events/{event['id']}/check-in/people", params={"name": "%"}))["total"] == 0
    assert (await client.get(f"/v1/events/{event['id']}/check-in/people"))["total"] == 2


async def test_retries_of_one_scan_and_a_second_scan_record_one_check_in(client: Any) -> None:
    event, (first, *_) = await registered(client)
    url = f"/v1/events/{event['id']}/check-in"
    scan = {"registration_id": first["id"], "nonce": uuid.uuid4().hex}
    answers = await asyncio.gather(*(client.post(url, scan, expect=200) for _ in range(5)))
    assert sum(a["first"] for a in answers) == 1
    assert len({a["checked_in_at"] for a in answers}) == 1
    again = await client.post(url, {"registration_id": first["id"], "nonce": uuid.uuid4().hex}, expect=200)
    assert again["first"] is False and again["checked_in_at"] == answers[0]["checked_in_at"]
    assert len(await client.outbox("events.registration.checked_in.v1")) == 1


async def test_someone_on_the_waiting_list_cannot_be_checked_in(client: Any) -> None:
    event, (_, _, waiting) = await registered(client)
    answer = await client.call(
        "POST",
        f"/v1/events/{event['id']}/check-in",
        json={"registration_id": waiting["id"], "nonce": uuid.uuid4().hex},
        expect=409,
    )
    assert "står på väntelistan" in answer.json()["detail"]


async def test_a_nonce_used_for_another_person_is_refused(client: Any) -> None:
    event, (a, b, _) = await registered(client)
    url = f"/v1/events/{event['id']}/check-in"
    nonce = uuid.uuid4().hex
    await client.post(url, {"registration_id": a["id"], "nonce": nonce}, expect=200)
    answer = await client.call("POST", url, json={"registration_id": b["id"], "nonce": nonce}, expect=409)
    assert "Skanna koden igen" in answer.json()["detail"]


async def test_the_csv_export_lists_everyone_and_defuses_formulas(client: Any) -> None:
    event = await published_event(client)
    await signup(client, event, {"name": '=HYPERLINK("x")', "email": "a@example.se"})
    await signup(client, event, {"name": "Åsa Öberg", "phone": "+46 70 123"})
    answer = await client.call("GET", f"/v1/events/{event['id']}/registrations/export.csv", expect=200)
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.content.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("Nr,Namn,E-post,Telefon")
    assert lines[1].split(",")[1].startswith("\"'=HYPERLINK")
    assert "Åsa Öberg" in lines[2] and "'+46 70 123" in lines[2]


async def test_a_nonce_replayed_on_another_events_path_is_refused(client: Any) -> None:
    event, (a, *_) = await registered(client)
    other = await published_event(client)
    nonce = uuid.uuid4().hex
    scan = {"registration_id": a["id"], "nonce": nonce}
    await client.post(f"/v1/events/{event['id']}/check-in", scan, expect=200)
    replay = await client.call("POST", f"/v1/events/{other['id']}/check-in", json=scan)
    assert replay.status_code == 404 and "rätt evenemang" in replay.json()["detail"]


async def test_a_nul_byte_is_a_clear_answer_not_a_server_error(client: Any) -> None:
    event, _ = await registered(client)
    url = f"/v1/events/{event['id']}/check-in"
    search = await client.call("GET", f"{url}/people", params={"name": "a\x00b"})
    assert search.status_code == 400 and "tecken" in search.json()["detail"]
    nul_nonce = {"registration_id": str(uuid.uuid4()), "nonce": "abc\x00defgh"}
    scan = await client.call("POST", url, json=nul_nonce)
    assert scan.status_code == 422
    body = {"title": "Fel\x00", "starts_at": "2027-01-01T10:00", "ends_at": "2027-01-01T11:00"}
    made = await client.call("POST", "/v1/events", json=body)
    assert made.status_code == 422 and "tecken som inte går att spara" in made.json()["detail"]


async def test_a_walk_in_is_registered_and_checked_in_at_once_and_counts_against_capacity(
    client: Any,
) -> None:
    event, _ = await registered(client, capacity=3, people=2)
    url = f"/v1/events/{event['id']}/check-in/walk-ins"
    # At the door there may be no address to note: the person is there.
    came = await client.post(url, {"name": "Kim Dörr", "nonce": uuid.uuid4().hex})
    assert came["first"] is True and came["checked_in_at"] and came["beyond_capacity"] is False
    people = await client.get(f"/v1/events/{event['id']}/registrations")
    walk_in = next(p for p in people["items"] if p["name"] == "Kim Dörr")
    assert walk_in["status"] == "registered" and walk_in["walk_in"] is True and walk_in["checked_in_at"]
    assert (await client.get(f"/v1/public/events/{event['id']}", as_=()))["places_left"] == 0
    created = [c for c in await client.outbox("events.registration.created.v1") if c["walk_in"]]
    assert [c["registration_id"] for c in created] == [walk_in["id"]]
    checked = await client.outbox("events.registration.checked_in.v1")
    assert [c["registration_id"] for c in checked] == [walk_in["id"]]


async def test_a_walk_in_beyond_capacity_needs_the_staffs_decision(client: Any) -> None:
    event, _ = await registered(client, capacity=2, people=2)
    url = f"/v1/events/{event['id']}/check-in/walk-ins"
    full = await client.call("POST", url, json={"name": "Sen Gäst", "nonce": uuid.uuid4().hex}, expect=409)
    assert "fullt" in full.json()["detail"] and "ändå" in full.json()["detail"]
    assert (await client.get(f"/v1/events/{event['id']}/registrations"))["total"] == 2
    let_in = {"name": "Sen Gäst", "nonce": uuid.uuid4().hex, "beyond_capacity": True}
    came = await client.post(url, let_in)
    assert came["beyond_capacity"] is True
    summary = await client.get(f"/v1/events/{event['id']}/registrations/summary")
    assert summary["counts"]["registered"] == 3


async def test_a_retried_walk_in_adds_the_person_once(client: Any) -> None:
    event, _ = await registered(client, capacity=10, people=1)
    url = f"/v1/events/{event['id']}/check-in/walk-ins"
    scan = {"name": "Ett Försök", "phone": "070-123 45 67", "nonce": uuid.uuid4().hex}
    answers = await asyncio.gather(*(client.call("POST", url, json=scan) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["registration_id"] for a in answers}) == 1
    assert (await client.get(f"/v1/events/{event['id']}/registrations"))["total"] == 2
    # The same nonce on another event's path is not this event's walk-in.
    other = await published_event(client)
    replay = await client.call("POST", f"/v1/events/{other['id']}/check-in/walk-ins", json=scan)
    assert replay.status_code == 404


async def test_a_walk_in_who_is_registered_already_is_sent_to_the_list(client: Any) -> None:
    event, _ = await registered(client, capacity=10, people=1)
    url = f"/v1/events/{event['id']}/check-in/walk-ins"
    twin = {"name": "Person 0", "email": "PERSON0@example.se", "nonce": uuid.uuid4().hex}
    answer = await client.call("POST", url, json=twin, expect=409)
    assert "redan en plats" in answer.json()["detail"]


async def test_no_walk_ins_for_a_cancelled_event(client: Any) -> None:
    event, _ = await registered(client, capacity=10, people=1)
    await client.post(f"/v1/events/{event['id']}/cancel", {"reason": None}, expect=200)
    url = f"/v1/events/{event['id']}/check-in/walk-ins"
    answer = await client.call("POST", url, json={"name": "X", "nonce": uuid.uuid4().hex}, expect=409)
    assert "inställt" in answer.json()["detail"]
