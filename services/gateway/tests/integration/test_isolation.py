"""Organisation isolation through the gateway, on the real meetings service and real PostgreSQL.

A representative of one organisation walks every GET page of the gateway and, through the proxy,
every GET route of the meetings API (both from their route tables, so routes added later are
walked too); nothing of another organisation's people may show but the names the published
minutes record.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from gateway import roles
from gateway.app import PUBLIC_PATHS, create_app
from gateway.settings import Settings

from .conftest import LiveServer, MeetingsStaff, signed_in_as

PHONE_B = "070-555 12 34"
PHONE_B2 = "+46 8 123 456 78"


@dataclass
class World:
    org_a: str
    org_b: str
    secrets_b: list[str]
    recorded_name_b: str
    email_a: str
    ids: dict[str, list[str]]


@pytest.fixture(scope="module")
def world(meetings_staff: MeetingsStaff) -> World:
    staff = meetings_staff
    tag = uuid.uuid4().hex[:6]
    org_a = staff.send("POST", "/v1/organisations", {"name": f"Alfa {tag}"})
    org_b = staff.send("POST", "/v1/organisations", {"name": f"Beta {tag}"})

    def person(name: str, org: dict[str, Any]) -> dict[str, Any]:
        email = f"{name.split()[0].lower()}-{tag}@{org['name'].split()[0].lower()}.example"
        return staff.send(
            "POST", "/v1/people", {"name": f"{name} {tag}", "email": email, "organisation_id": org["id"]}
        )

    alva, bertil, berit = (
        person("Alva Alfa", org_a),
        person("Bertil Beta", org_b),
        person("Berit Betasson", org_b),
    )
    group = staff.send("POST", "/v1/groups", {"name": f"Gemensam {tag}", "kind": "joint_development"})
    for member in (alva, bertil, berit):
        staff.send("PUT", f"/v1/groups/{group['id']}/members/{member['id']}", {"role": "member"}, expect=200)
    first = staff.send(
        "POST",
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "starts_at": "2016-02-22T13:30:00+01:00",
            "ends_at": "2016-02-22T15:30:00+01:00",
        },
    )
    second = staff.send(
        "POST",
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "starts_at": "2030-03-07T13:30:00+01:00",
            "ends_at": "2030-03-07T15:30:00+01:00",
        },
    )
    series = staff.send(
        "POST",
        "/v1/series",
        {
            "title": "Arbetsgrupp",
            "group_id": group["id"],
            "recurrence": {"frequency": "weekly", "weekday": 0},
            "start_time": "10:00",
            "duration_minutes": 60,
            "starts_on": "2030-04-01",
            "count": 2,
        },
    )
    staff.send(
        "POST",
        f"/v1/meetings/{second['id']}/agenda/items",
        {"title": "Tema", "kind": "theme", "responsible_person_id": berit["id"]},
    )
    for present in (alva, bertil):
        staff.send(
            "PUT", f"/v1/meetings/{first['id']}/attendance/{present['id']}", {"status": "present"}, expect=200
        )
    # Berit's item is of the meeting whose minutes stay a draft: no published minutes name her.
    items = [
        staff.send(
            "POST",
            f"/v1/meetings/{meeting['id']}/action-items",
            {"text": text, "owner_person_id": owner["id"]},
        )
        for text, owner, meeting in (
            ("Ringa runt", bertil, first),
            ("Boka lokal", berit, second),
            ("Skriva inbjudan", alva, first),
        )
    ]
    published = staff.send(
        "POST",
        f"/v1/meetings/{first['id']}/minutes",
        {"sections": [{"heading": "Klarspråk", "text": "Vi pratade om klarspråk."}]},
    )
    for action in ("submit", "approve", "publish"):
        published = staff.send(
            "POST", f"/v1/minutes/{published['id']}/{action}", {"revision": published["revision"]}, expect=200
        )
    draft = staff.send(
        "POST",
        f"/v1/meetings/{second['id']}/minutes",
        {
            "sections": [
                {"heading": "Kontakt", "text": f"{berit['name']} nås på {PHONE_B} och {berit['email']}."}
            ]
        },
    )
    imported = staff.send(
        "POST",
        "/v1/imports",
        {"text": f"Minnesanteckningar 2016-05-02\n\nÖvrigt\nFrågor till Beta på {PHONE_B2}.\n", "year": 2016},
    )
    return World(
        org_a=org_a["id"],
        org_b=org_b["id"],
        secrets_b=[bertil["email"], berit["email"], PHONE_B, PHONE_B2, berit["name"]],
        recorded_name_b=bertil["name"],
        email_a=alva["email"],
        ids={
            "organisation_id": [org_a["id"], org_b["id"]],
            "person_id": [alva["id"], bertil["id"], berit["id"]],
            "group_id": [group["id"]],
            "meeting_id": [first["id"], second["id"], series["meetings"][0]["id"]],
            "series_id": [series["id"]],
            "minutes_id": [published["id"], draft["id"]],
            "action_item_id": [i["id"] for i in items],
            "import_id": [imported["id"]],
            "user_id": [str(uuid.uuid4())],
            "key": ["nothing"],
        },
    )


def page_routes(settings: Settings) -> list[str]:
    out = []
    for context in iter_route_contexts(create_app(settings).routes):
        route = context.original_route
        page = context.path not in PUBLIC_PATHS and not context.path.startswith("/api/")
        if isinstance(route, APIRoute) and "GET" in route.methods and page:
            out.append(context.path)
    return out


def meetings_get_routes(app: Any) -> list[str]:
    paths = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and "GET" in route.methods and context.path.startswith("/v1"):
            paths.append(context.path)
    return paths


def filled(path: str, world: World) -> list[str]:
    names = re.findall(r"\{([^}:]+)(?::path)?\}", path)
    missing = [n for n in names if n not in world.ids]
    assert not missing, f"the walk has no ids for {missing} of {path}: seed some"
    paths = [path]
    for name in names:
        paths = [re.sub(r"\{" + name + r"(:path)?\}", v, p) for p in paths for v in world.ids[name]]
    return paths


QUERY = {"q": "klarspråk", "text": "klarspråk"}


def test_a_representative_sees_nothing_of_another_organisations_people_on_any_page(
    gateway_on_meetings: LiveServer, real_settings: Settings, world: World, meetings_app: Any
) -> None:
    client = signed_in_as(
        gateway_on_meetings, real_settings, roles.ORG_REPRESENTATIVE, organisation=world.org_a
    )
    urls = [u for p in page_routes(real_settings) for u in filled(p, world)]
    urls += [f"/api/meetings{u}" for p in meetings_get_routes(meetings_app) for u in filled(p, world)]
    walked = 0
    for url in urls:
        for params in ({}, {**QUERY, "group_id": world.ids["group_id"][0], "organisation_id": world.org_b}):
            response = client.get(url, params=params)
            assert response.status_code < 500, (url, response.status_code)
            for secret in world.secrets_b:
                assert secret not in response.text, (
                    f"GET {url} {params} shows {secret!r} of another organisation"
                )
            if world.recorded_name_b in response.text:
                assert "minutes" in url, f"GET {url} names a person of another organisation"
            walked += 1
    assert walked > 60
    own = client.get(f"/organisations/{world.org_a}")
    assert world.email_a in own.text, "the representative does see its own organisation's people"


def test_a_pool_coordinator_reads_no_meetings_data_through_the_proxy(
    gateway_on_meetings: LiveServer, real_settings: Settings, world: World, meetings_app: Any
) -> None:
    client = signed_in_as(gateway_on_meetings, real_settings, roles.POOL_COORDINATOR)
    for path in meetings_get_routes(meetings_app):
        url = f"/api/meetings{filled(path, world)[0]}"
        response = client.get(url, params=QUERY)
        assert response.status_code == 403, f"a pool coordinator could read GET {url}"
        assert "@" not in response.text
