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
