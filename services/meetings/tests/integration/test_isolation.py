"""Organisation isolation, by data: every GET route, read as a representative of one organisation,
shows nothing of another organisation's people but the names their published minutes record.

The walk takes its routes from FastAPI's route table, so a read added later is walked too.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute

from .test_route_access import api_routes

PHONE_B = "070-555 12 34"
PHONE_B2 = "+46 8 123 456 78"


@dataclass
class World:
    """Two organisations sharing a group; ids to fill every path parameter of the API with."""

    org_a: str
    org_b: str
    emails_b: list[str]
    phones_b: list[str]
    # Someone of organisation B whom no published minutes name.
    unrecorded_name_b: str
    # Someone of organisation B whom the published minutes record (present, owns an action item).
    recorded_name_b: str
    person_a: str
    email_a: str
    ids: dict[str, list[str]] = field(default_factory=dict)


async def seed(client: Any) -> World:
    tag = uuid.uuid4().hex[:6]
    org_a = await client.post("/v1/organisations", {"name": f"Alfa {tag}"})
    org_b = await client.post("/v1/organisations", {"name": f"Beta {tag}"})
    alva = await client.post(
        "/v1/people",
        {"name": f"Alva Alfa {tag}", "email": f"alva-{tag}@alfa.example", "organisation_id": org_a["id"]},
    )
    bertil = await client.post(
        "/v1/people",
        {"name": f"Bertil Beta {tag}", "email": f"bertil-{tag}@beta.example", "organisation_id": org_b["id"]},
    )
    berit = await client.post(
        "/v1/people",
        {
            "name": f"Berit Betasson {tag}",
            "email": f"berit-{tag}@beta.example",
            "organisation_id": org_b["id"],
        },
    )
    group = await client.post("/v1/groups", {"name": f"Gemensam {tag}", "kind": "joint_development"})
    for person in (alva, bertil, berit):
        await client.put(f"/v1/groups/{group['id']}/members/{person['id']}", {"role": "member"})

    # Invitees come from the members (all three emails), and one guest of B invited by hand.
    first = await client.post(
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "starts_at": "2016-02-22T13:30:00+01:00",
            "ends_at": "2016-02-22T15:30:00+01:00",
        },
    )
    guest_email = f"gast-{tag}@beta.example"
    second = await client.post(
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "starts_at": "2016-03-07T13:30:00+01:00",
            "ends_at": "2016-03-07T15:30:00+01:00",
            "invitees": [
                {"name": alva["name"], "email": alva["email"]},
                {"name": berit["name"], "email": berit["email"]},
                {"name": f"Gäst {tag}", "email": guest_email},
            ],
        },
    )
    series = await client.post(
        "/v1/series",
        {
            "title": "Arbetsgrupp",
            "group_id": group["id"],
            "recurrence": {"frequency": "weekly", "weekday": 0},
            "start_time": "10:00",
            "duration_minutes": 60,
            "starts_on": "2016-04-04",
            "count": 2,
            "invitees": [{"name": "Extern", "email": f"extern-{tag}@beta.example"}],
        },
    )
    await client.post(
        f"/v1/meetings/{second['id']}/agenda/items",
        {"title": "Tema", "kind": "theme", "responsible_person_id": berit["id"]},
    )
    for person in (alva, bertil):
        await client.put(f"/v1/meetings/{first['id']}/attendance/{person['id']}", {"status": "present"})
    await client.put(f"/v1/meetings/{second['id']}/attendance/{berit['id']}", {"status": "excused"})
    item_b = await client.post(
        f"/v1/meetings/{first['id']}/action-items", {"text": "Ringa runt", "owner_person_id": bertil["id"]}
    )
    # At the meeting whose minutes stay a draft, so no published minutes name Berit.
    item_b2 = await client.post(
        f"/v1/meetings/{second['id']}/action-items", {"text": "Boka lokal", "owner_person_id": berit["id"]}
    )
    item_a = await client.post(
        f"/v1/meetings/{first['id']}/action-items", {"text": "Skriva inbjudan", "owner_person_id": alva["id"]}
    )
    published = await client.post(
        f"/v1/meetings/{first['id']}/minutes",
        {
            "minute_taker": alva["name"],
            "sections": [{"heading": "Klarspråk", "text": "Vi pratade om klarspråk."}],
        },
    )
    for action in ("submit", "approve", "publish"):
        published = await client.post(
            f"/v1/minutes/{published['id']}/{action}", {"revision": published["revision"]}, expect=200
        )
    draft = await client.post(
        f"/v1/meetings/{second['id']}/minutes",
        {
            "sections": [
                {"heading": "Kontakt", "text": f"{berit['name']} nås på {PHONE_B} och {berit['email']}."}
            ]
        },
    )
    imported = await client.post(
        "/v1/imports",
        {"text": f"Minnesanteckningar 2016-05-02\n\nÖvrigt\nFrågor till Beta på {PHONE_B2}.\n", "year": 2016},
    )
    return World(
        org_a=org_a["id"],
        org_b=org_b["id"],
        emails_b=[bertil["email"], berit["email"], guest_email, f"extern-{tag}@beta.example"],
        phones_b=[PHONE_B, PHONE_B2],
        unrecorded_name_b=berit["name"],
        recorded_name_b=bertil["name"],
        person_a=alva["id"],
        email_a=alva["email"],
        ids={
            "organisation_id": [org_a["id"], org_b["id"]],
            "person_id": [alva["id"], bertil["id"], berit["id"]],
            "group_id": [group["id"]],
            "meeting_id": [first["id"], second["id"], series["meetings"][0]["id"]],
            "series_id": [series["id"]],
            "minutes_id": [published["id"], draft["id"]],
            "action_item_id": [item_a["id"], item_b["id"], item_b2["id"]],
            "import_id": [imported["id"]],
        },
    )


def get_routes(app: Any) -> list[APIRoute]:
    return [r for r in api_routes(app.routes) if r.path.startswith("/v1") and "GET" in r.methods]


def urls(route: APIRoute, world: World) -> list[tuple[str, dict[str, str]]]:
    """Every way to fill the route's path with seeded ids, without and with every filter set."""
    names = re.findall(r"\{([^}]+)\}", route.path)
    missing = [n for n in names if n not in world.ids]
    assert not missing, f"the walk has no ids for {missing} of {route.path}: seed some"
    paths = [route.path]
    for name in names:
        paths = [p.replace("{" + name + "}", value) for p in paths for value in world.ids[name]]
    required = {q.alias: "klarspråk" for q in route.dependant.query_params if q.field_info.is_required()}
    filters = {q.alias: world.ids[q.alias][-1] for q in route.dependant.query_params if q.alias in world.ids}
    filters["organisation_id"] = world.org_b
    return [(p, params) for p in paths for params in (required, {**required, **filters})]


async def test_a_representative_reads_nothing_of_another_organisations_people(client: Any) -> None:
    world = await seed(client)
    walked = 0
    seen_own = False
    for route in get_routes(client.app):
        for url, params in urls(route, world):
            response = await client.call(
                "GET", url, as_=("org_representative",), org=world.org_a, params=params
            )
            assert response.status_code in (200, 403, 404), (url, params, response.status_code, response.text)
            body = response.text
            for secret in [*world.emails_b, *world.phones_b, world.unrecorded_name_b]:
                assert secret not in body, f"GET {url} {params} shows {secret!r} of another organisation"
            if world.recorded_name_b in body:
                assert "/minutes" in url, f"GET {url} shows the name of another organisation's person"
            seen_own = seen_own or world.email_a in body
            walked += 1
    assert walked > 40
    # Not a walk of refusals: the representative does see its own people, and the minutes' names.
    assert seen_own


async def test_a_representative_sees_its_own_invitees_and_action_items(client: Any) -> None:
    world = await seed(client)
    _first, second, later = world.ids["meeting_id"]
    meeting = await client.get(f"/v1/meetings/{second}", as_=("org_representative",), org=world.org_a)
    assert [i["email"] for i in meeting["invitees"]] == [world.email_a]
    # The series' first meeting comes after both, so its agenda carries every open item.
    agenda = await client.get(f"/v1/meetings/{later}/agenda", as_=("org_representative",), org=world.org_a)
    assert [i["text"] for i in agenda["open_action_items"]] == ["Skriva inbjudan"]
    staff_agenda = await client.get(f"/v1/meetings/{later}/agenda")
    assert len(staff_agenda["open_action_items"]) == 3
    planned = await client.get(f"/v1/meetings/{second}/agenda")
    assert planned["items"][0]["responsible_person_name"] == world.unrecorded_name_b
    staff_meeting = await client.get(f"/v1/meetings/{second}")
    assert len(staff_meeting["invitees"]) == 3
    page = await client.call(
        "GET", f"/v1/minutes/{world.ids['minutes_id'][0]}/html", as_=("org_representative",), org=world.org_a
    )
    assert world.recorded_name_b in page.text, "the published minutes record who was present"


async def test_a_pool_coordinator_reads_no_meetings_data(client: Any) -> None:
    world = await seed(client)
    for route in get_routes(client.app):
        for url, params in urls(route, world)[:1]:
            response = await client.call("GET", url, as_=("pool_coordinator",), params=params)
            assert response.status_code == 403, f"a pool coordinator could read GET {url}"


async def test_a_representative_cannot_claim_another_organisations_invitee_by_their_address(
    client: Any,
) -> None:
    world = await seed(client)
    rep = {"as_": ("org_representative",), "org": world.org_a}
    _first, second, _later = world.ids["meeting_id"]
    berit_email, guest_email = world.emails_b[1], world.emails_b[2]
    # A person of one's own organisation with the address of somebody else, or of an invitee who is
    # nobody's person yet, is refused, whatever the case of the address.
    for email in (berit_email, guest_email.upper()):
        refused = await client.call(
            "POST", "/v1/people", json={"name": "Falsk", "email": email}, expect=409, **rep
        )
        assert "address" in refused.json()["detail"]
    alva = await client.get(f"/v1/people/{world.person_a}", **rep)
    refused = await client.call(
        "PATCH",
        f"/v1/people/{world.person_a}",
        json={"version": alva["version"], "email": guest_email},
        expect=409,
        **rep,
    )
    assert "address" in refused.json()["detail"]
    # Keeping one's own address is no conflict.
    await client.patch(
        f"/v1/people/{world.person_a}", {"version": alva["version"], "email": alva["email"]}, **rep
    )

    # Staff may give anyone any address; a person who gets an invitee's address after the invitation
    # still is not that invitee: the invitation says whom it invited.
    await client.post(
        "/v1/people", {"name": "Sen Alfa", "email": guest_email, "organisation_id": world.org_a}
    )
    meeting = await client.get(f"/v1/meetings/{second}", **rep)
    assert [i["email"] for i in meeting["invitees"]] == [world.email_a]
    roll = await client.get(f"/v1/meetings/{second}/roll-call", **rep)
    assert guest_email not in str(roll) and "Gäst" not in str(roll)
    staff_roll = (await client.get(f"/v1/meetings/{second}/roll-call"))["entries"]
    guest = next(e for e in staff_roll if e["name"].startswith("Gäst"))
    assert guest["key"].startswith("invitee:") and guest["person_id"] is None
    # Marking the invitee present records a new person for them, not the one with the address now.
    saved = await client.put(
        f"/v1/meetings/{second}/attendance", {"entries": [{"key": guest["key"], "status": "present"}]}
    )
    recorded = next(r for r in saved if r["person_name"].startswith("Gäst"))
    assert recorded["organisation_id"] is None
    again = (await client.get(f"/v1/meetings/{second}/roll-call"))["entries"]
    assert [e["key"] for e in again if e["name"].startswith("Gäst")] == ["person:" + recorded["person_id"]]
