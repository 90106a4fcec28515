"""Organisation isolation, by data: every GET route, read as a representative of one organisation,
shows nothing of another organisation's people but the names their published minutes record.

The walk takes its routes from FastAPI's route table, so a read added later is walked too.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from .isolation_world import World, seed_world
from .test_route_access import api_routes


async def seed(client: Any) -> World:
    async def send(method: str, path: str, body: Any, expect: int) -> Any:
        return (await client.call(method, path, json=body, expect=expect)).json()

    return await seed_world(send)


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
            for secret in world.secrets_b:
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
