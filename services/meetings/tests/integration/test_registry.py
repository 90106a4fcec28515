"""Organisations, people, groups and members, with their events and the representative's limits."""

from __future__ import annotations

import uuid
from typing import Any


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


async def test_organisations_people_groups_and_members(client: Any) -> None:
    bryggan = await client.post("/v1/organisations", {"name": "Bryggan", "kind": "user_organisation"})
    sof = await client.post("/v1/organisations", {"name": "socialförvaltningen", "kind": "municipal"})
    pierre = await client.post(
        "/v1/people",
        {"name": "Pierre Sander", "email": "pierre@example.se", "organisation_id": bryggan["id"]},
    )
    leif = await client.post("/v1/people", {"name": "Leif Redestig", "organisation_id": sof["id"]})
    group = await client.post(
        "/v1/groups", {"name": "Gemensam utvecklingsgrupp", "kind": "joint_development"}
    )
    klarsprak = await client.post(
        "/v1/groups", {"name": "Klarspråk", "kind": "working_group", "parent_group_id": group["id"]}
    )
    assert klarsprak["parent_group_id"] == group["id"]

    member = await client.put(f"/v1/groups/{group['id']}/members/{pierre['id']}", {"role": "member"})
    assert member["organisation_id"] == bryggan["id"]  # represents their own organisation by default
    await client.put(f"/v1/groups/{group['id']}/members/{leif['id']}", {"role": "chair"})

    members = await client.get(f"/v1/groups/{group['id']}/members")
    assert [(m["person_name"], m["organisation_name"], m["role"]) for m in members] == [
        ("Leif Redestig", "socialförvaltningen", "chair"),
        ("Pierre Sander", "Bryggan", "member"),
    ]
    groups = await client.get("/v1/groups")
    assert groups["items"][0]["name"] == "Gemensam utvecklingsgrupp"
    assert groups["items"][0]["member_count"] == 2

    page = await client.get("/v1/organisations?limit=1")
    assert page["total"] == 2 and len(page["items"]) == 1 and page["items"][0]["name"] == "Bryggan"

    await client.call("DELETE", f"/v1/groups/{group['id']}/members/{pierre['id']}", expect=204)
    assert len(await client.get(f"/v1/groups/{group['id']}/members")) == 1

    assert [e["name"] for e in await client.events("meetings.organisation.registered.v1")] == [
        "Bryggan",
        "socialförvaltningen",
    ]
    assert len(await client.events("meetings.person.registered.v1")) == 2
    assert len(await client.events("meetings.group.created.v1")) == 2
    added = await client.events("meetings.membership.added.v1")
    assert [(e["person_name"], e["organisation_id"]) for e in added] == [
        ("Pierre Sander", bryggan["id"]),
        ("Leif Redestig", sof["id"]),
    ]
    removed = await client.events("meetings.membership.removed.v1")
    assert [e["person_id"] for e in removed] == [pierre["id"]]


async def test_duplicate_names_and_stale_versions_conflict(client: Any) -> None:
    org = await client.post("/v1/organisations", {"name": "Ria"})
    dup = await client.call("POST", "/v1/organisations", json={"name": "ria"}, expect=409)
    assert "already exists" in dup.json()["detail"]

    renamed = await client.patch(f"/v1/organisations/{org['id']}", {"version": 1, "name": "Ria Helsingborg"})
    assert renamed["version"] == 2
    stale = await client.call(
        "PATCH", f"/v1/organisations/{org['id']}", json={"version": 1, "name": "X"}, expect=409
    )
    assert "reload" in stale.json()["detail"]
    assert (await client.events("meetings.organisation.updated.v1"))[0]["name"] == "Ria Helsingborg"

    missing = await client.call("GET", f"/v1/organisations/{uuid.uuid4()}", expect=404)
    assert "no organisation" in missing.json()["detail"]
    bad = await client.call("POST", "/v1/organisations", json={"name": "", "kind": "club"}, expect=422)
    assert "name" in bad.json()["detail"] and "kind" in bad.json()["detail"]


async def test_a_representative_sees_and_manages_only_its_own_organisation(client: Any) -> None:
    g7 = await client.post("/v1/organisations", {"name": "G7"})
    ifs = await client.post("/v1/organisations", {"name": "IFS"})
    await client.post("/v1/people", {"name": "Bent Nielsen", "organisation_id": ifs["id"]})
    rep = ("org_representative",)

    # Created in their own organisation whatever they ask; another organisation is refused.
    bo = await client.post("/v1/people", {"name": "Bo Pettersson"}, as_=rep, org=g7["id"])
    assert bo["organisation_id"] == g7["id"]
    await client.call(
        "POST",
        "/v1/people",
        json={"name": "X", "organisation_id": ifs["id"]},
        as_=rep,
        org=g7["id"],
        expect=403,
    )

    seen = await client.get("/v1/people", as_=rep, org=g7["id"])
    assert [p["name"] for p in seen["items"]] == ["Bo Pettersson"]
    assert (await client.get("/v1/people"))["total"] == 2  # staff see everyone

    group = await client.post("/v1/groups", {"name": unique("Fritidsbank"), "kind": "working_group"})
    await client.put(f"/v1/groups/{group['id']}/members/{bo['id']}", {}, as_=rep, org=g7["id"])
    bent = (await client.get("/v1/people?name=Bent"))["items"][0]
    await client.call(
        "PUT", f"/v1/groups/{group['id']}/members/{bent['id']}", json={}, as_=rep, org=g7["id"], expect=403
    )
    await client.put(f"/v1/groups/{group['id']}/members/{bent['id']}", {})
    members = await client.get(f"/v1/groups/{group['id']}/members", as_=rep, org=g7["id"])
    assert [m["person_name"] for m in members] == ["Bo Pettersson"]
    await client.call("GET", f"/v1/people/{bent['id']}", as_=rep, org=g7["id"], expect=404)


async def test_a_page_past_the_end_still_tells_the_total(client: Any) -> None:
    for name in ("A", "B", "C"):
        await client.post("/v1/organisations", {"name": unique(name)})
    page = await client.get("/v1/organisations?limit=2&offset=10")
    assert page == {"items": [], "total": 3, "limit": 2, "offset": 10}
    bad = await client.call("GET", "/v1/organisations?limit=0&offset=-1", expect=422)
    assert "limit" in bad.json()["detail"] and "offset" in bad.json()["detail"]


async def test_name_filters_take_percent_and_underscore_as_written(client: Any) -> None:
    await client.post("/v1/organisations", {"name": "Förening 100%"})
    await client.post("/v1/organisations", {"name": "Förening 1000"})
    await client.post("/v1/people", {"name": "Anna_B"})
    await client.post("/v1/people", {"name": "Anna Berg"})
    organisations = await client.get("/v1/organisations", params={"name": "100%"})
    assert [o["name"] for o in organisations["items"]] == ["Förening 100%"]
    people = await client.get("/v1/people", params={"name": "a_b"})
    assert [p["name"] for p in people["items"]] == ["Anna_B"]
