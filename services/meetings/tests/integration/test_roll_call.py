"""A roll call: everyone expected at a meeting listed at once, marked and saved in one go, guests too."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from backbone.testing import eventually


async def _meeting_with_group(client: Any) -> dict[str, Any]:
    bryggan = await client.post("/v1/organisations", {"name": f"Bryggan {uuid.uuid4().hex[:4]}"})
    sof = await client.post("/v1/organisations", {"name": f"socialförvaltningen {uuid.uuid4().hex[:4]}"})
    group = await client.post(
        "/v1/groups", {"name": f"Grupp {uuid.uuid4().hex[:6]}", "kind": "joint_development"}
    )
    pierre = await client.post(
        "/v1/people",
        {"name": "Pierre Sander", "email": "pierre@example.se", "organisation_id": bryggan["id"]},
    )
    leif = await client.post(
        "/v1/people", {"name": "Leif Redestig", "email": "leif@example.se", "organisation_id": sof["id"]}
    )
    for person in (pierre, leif):
        await client.put(f"/v1/groups/{group['id']}/members/{person['id']}", {"role": "member"})
    meeting = await client.post(
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "starts_at": "2027-02-01T13:30:00+01:00",
            "ends_at": "2027-02-01T15:30:00+01:00",
            # Pierre is both a member and invited (in other case); Kenneth is invited but not yet a person.
            "invitees": [
                {"name": "Pierre Sander", "email": "PIERRE@example.se"},
                {"name": "Kenneth Tell", "email": "kenneth@example.se"},
            ],
        },
    )
    return {"meeting": meeting, "bryggan": bryggan, "sof": sof, "pierre": pierre, "leif": leif}


async def test_the_roll_call_lists_every_member_and_invitee_once_without_their_addresses(client: Any) -> None:
    setup = await _meeting_with_group(client)
    roll = await client.get(f"/v1/meetings/{setup['meeting']['id']}/roll-call")
    assert sorted((r["name"], r["status"]) for r in roll["entries"]) == [
        ("Kenneth Tell", None),
        ("Leif Redestig", None),
        ("Pierre Sander", None),
    ]
    assert "example.se" not in str(roll)


async def test_one_save_records_everyone_and_adds_guests(client: Any) -> None:
    setup = await _meeting_with_group(client)
    url = f"/v1/meetings/{setup['meeting']['id']}"
    roll = (await client.get(f"{url}/roll-call"))["entries"]
    by_name = {r["name"]: r for r in roll}
    body = {
        "entries": [
            {"key": by_name["Pierre Sander"]["key"], "status": "present"},
            {"key": by_name["Leif Redestig"]["key"], "status": "excused"},
            {"key": by_name["Kenneth Tell"]["key"], "status": "present"},
        ],
        "guests": [{"name": "Per Skålén", "organisation_name": "Karlstads universitet"}],
    }
    saved = await client.put(f"{url}/attendance", body)
    assert sorted((r["person_name"], r["status"]) for r in saved) == [
        ("Kenneth Tell", "present"),
        ("Leif Redestig", "excused"),
        ("Per Skålén", "guest"),
        ("Pierre Sander", "present"),
    ]
    assert {r["organisation_name"] for r in saved if r["person_name"] == "Per Skålén"} == {
        "Karlstads universitet"
    }
    assert len(await client.events("meetings.attendance.recorded.v1")) == 4
    # The next roll call shows what was saved, and saving the same again changes nothing twice.
    again = (await client.get(f"{url}/roll-call"))["entries"]
    assert {r["name"]: r["status"] for r in again}["Kenneth Tell"] == "present"
    assert {r["name"]: r["status"] for r in again}["Per Skålén"] == "guest"
    await client.put(f"{url}/attendance", {**body, "guests": []})
    assert len(await client.get(f"{url}/attendance")) == 4


async def test_a_roll_call_with_an_unknown_key_is_refused_and_saves_nothing(client: Any) -> None:
    setup = await _meeting_with_group(client)
    url = f"/v1/meetings/{setup['meeting']['id']}"
    roll = (await client.get(f"{url}/roll-call"))["entries"]
    body = {
        "entries": [
            {"key": roll[0]["key"], "status": "present"},
            {"key": "person:" + str(uuid.uuid4()), "status": "present"},
        ]
    }
    refused = await client.call("PUT", f"{url}/attendance", json=body, expect=409)
    assert "roll call" in refused.json()["detail"]
    assert await client.get(f"{url}/attendance") == []


async def test_a_representative_calls_the_roll_of_their_own_organisation_only(client: Any) -> None:
    setup = await _meeting_with_group(client)
    url = f"/v1/meetings/{setup['meeting']['id']}"
    rep = ("org_representative",)
    mine = (await client.get(f"{url}/roll-call", as_=rep, org=setup["bryggan"]["id"]))["entries"]
    assert [r["name"] for r in mine] == ["Pierre Sander"]
    leif_key = "person:" + setup["leif"]["id"]
    await client.call(
        "PUT",
        f"{url}/attendance",
        json={"entries": [{"key": leif_key, "status": "present"}]},
        as_=rep,
        org=setup["bryggan"]["id"],
        expect=403,
    )


async def test_a_guest_is_never_taken_for_a_person_of_the_same_name_in_another_organisation(
    client: Any,
) -> None:
    setup = await _meeting_with_group(client)
    url = f"/v1/meetings/{setup['meeting']['id']}"
    # "Leif Redestig" of socialförvaltningen exists; a guest of that name from elsewhere, or from no
    # organisation at all, is somebody else until staff say otherwise.
    body = {
        "guests": [
            {"name": "Leif Redestig", "organisation_name": f"Annan förening {uuid.uuid4().hex[:4]}"},
            {"name": "leif redestig"},
        ]
    }
    saved = await client.put(f"{url}/attendance", body)
    guests = [r for r in saved if r["status"] == "guest"]
    assert len(guests) == 2
    assert setup["leif"]["id"] not in {r["person_id"] for r in guests}
    assert len({r["person_id"] for r in guests}) == 2
    leif = await client.get(f"/v1/people/{setup['leif']['id']}")
    assert leif["organisation_id"] == setup["sof"]["id"]
    assert [r for r in saved if r["person_id"] == setup["leif"]["id"]] == []

    # A guest named with the organisation they came for before is that same person again.
    organisation = body["guests"][0]["organisation_name"]
    again = await client.put(
        f"{url}/attendance", {"guests": [{"name": "LEIF REDESTIG", "organisation_name": organisation}]}
    )
    assert len([r for r in again if r["status"] == "guest"]) == 2


async def test_a_roll_call_that_names_one_person_twice_is_refused(client: Any) -> None:
    setup = await _meeting_with_group(client)
    url = f"/v1/meetings/{setup['meeting']['id']}"
    key = "person:" + setup["pierre"]["id"]
    body = {"entries": [{"key": key, "status": "present"}] * 3 + [{"key": key, "status": "absent"}]}
    refused = await client.call("PUT", f"{url}/attendance", json=body, expect=422)
    assert "more than once" in refused.text and key in refused.text
    assert await client.get(f"{url}/attendance") == []
    assert await client.events("meetings.attendance.recorded.v1") == []


async def test_a_roll_call_adding_a_guest_organisation_that_another_transaction_is_adding_succeeds(
    client: Any,
) -> None:
    # Two roll calls at once name the same new organisation. Held here: the other one has inserted
    # the organisation but not committed when this one looks it up, finds nothing and inserts too.
    meeting = (await _meeting_with_group(client))["meeting"]
    name = f"Ny förening {uuid.uuid4().hex[:6]}"
    other = await asyncpg.connect(client.dsn)
    probe = await asyncpg.connect(client.dsn)
    try:
        other_transaction = other.transaction()
        await other_transaction.start()
        await other.execute(
            "INSERT INTO organisations (id, name, kind) VALUES ($1, $2, 'other')", uuid.uuid4(), name
        )
        save = asyncio.create_task(
            client.call(
                "PUT",
                f"/v1/meetings/{meeting['id']}/attendance",
                json={"guests": [{"name": "Gäst Gästsson", "organisation_name": name.upper()}]},
            )
        )
        await eventually(lambda: save.done() or _waits_for_a_lock(probe), "the roll call waits to insert")
        await other_transaction.commit()
        answer = await save
    finally:
        await other.close()
        await probe.close()
    assert answer.status_code == 200, answer.text
    assert [r["organisation_name"] for r in answer.json()] == [name]
    assert (await client.get("/v1/organisations", params={"name": name}))["total"] == 1


async def _waits_for_a_lock(probe: asyncpg.Connection) -> bool:
    # Outside a transaction: inside one, pg_stat_activity shows the same snapshot every time.
    waiting = await probe.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return bool(waiting)
